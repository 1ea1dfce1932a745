from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from vestige import hooks


class IdentificationConfig(AppConfig):
    name = "vestige.identification"
    label = "identification"
    verbose_name = _("Identification")

    def ready(self) -> None:
        # lazy: modules with models load once the apps are ready
        from vestige.identification import lineage, person_results, samples

        hooks.provide("import:samples", samples.samples_import)
        hooks.provide("import:lineage", lineage.lineage_import)
        hooks.provide("missing.person_results", person_results.person_results)
        hooks.provide("missing.family_progress", person_results.family_progress)
        hooks.provide("registry.element_samples", samples.sampled_elements)
        hooks.provide("registry.dna_associations", samples.dna_associations)
