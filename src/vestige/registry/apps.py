from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from vestige import hooks


class RegistryConfig(AppConfig):
    name = "vestige.registry"
    label = "registry"
    verbose_name = _("Registry")

    def ready(self) -> None:
        # lazy: a module with models loads once the apps are ready
        from vestige.registry import gis, importing

        hooks.provide("import:gis", gis.gis_import)
        hooks.provide("import:graves", importing.graves_or_remains_import)
        hooks.provide("import:remains", importing.graves_or_remains_import)
