from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvidenceConfig(AppConfig):
    name = "vestige.evidence"
    label = "evidence"
    verbose_name = _("Evidence")

    def ready(self) -> None:
        # lazy: modules with models load once the apps are ready
        from vestige.evidence import custody, timestamps, witnessing
        from vestige.housekeeping import clean_at_start

        custody.on_head_kept(timestamps.on_kept)  # trusted time for each kept head (RFC 3161)
        custody.on_head_kept(witnessing.on_kept)  # and its cosignatures (c2sp.org/tlog-witness)

        clean_at_start()  # temporary intake files a crash left behind, reported in the log
