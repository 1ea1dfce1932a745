from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from vestige import hooks


class DviConfig(AppConfig):
    name = "vestige.dvi"
    label = "dvi"
    verbose_name = _("Disaster victim identification")

    def ready(self) -> None:
        # lazy: modules with models load once the apps are ready
        from vestige.dvi import board, importing

        hooks.provide("import:dental", importing.dvi_import)
        hooks.provide("import:dvi", importing.dvi_import)
        hooks.provide("identification.confirm", board.still_established)  # a non-DNA decision still holds
