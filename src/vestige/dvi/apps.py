from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DviConfig(AppConfig):
    name = "vestige.dvi"
    label = "dvi"
    verbose_name = _("Disaster victim identification")
