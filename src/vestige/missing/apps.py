from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from vestige import hooks


class MissingConfig(AppConfig):
    name = "vestige.missing"
    label = "missing"
    verbose_name = _("Missing persons")

    def ready(self) -> None:
        # lazy: modules with models load once the apps are ready
        from vestige.missing import importing, pedigrees

        hooks.provide("import:missing", importing.persons_import)
        hooks.provide("import:references", importing.references_import)
        hooks.provide("import:pedigrees", pedigrees.pedigrees_import)
