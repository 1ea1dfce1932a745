from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from vestige import hooks


class ReportsConfig(AppConfig):
    name = "vestige.reports"
    label = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        # lazy: modules with models load once the apps are ready
        from vestige.reports import printed, timeline

        hooks.provide("registry.site_timeline", timeline.site_timeline)
        hooks.provide("registry.site_pdf", printed.site_pdf)
        hooks.provide("missing.person_timeline", timeline.person_timeline)
        hooks.provide("missing.person_pdf", printed.missing_person_pdf)
