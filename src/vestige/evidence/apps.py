from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvidenceConfig(AppConfig):
    name = "vestige.evidence"
    label = "evidence"
    verbose_name = _("Evidence")

    def ready(self) -> None:
        from vestige.housekeeping import clean_at_start

        clean_at_start()  # temporary intake files a crash left behind, reported in the log
