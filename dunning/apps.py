from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DunningConfig(AppConfig):
    """The collections ladder (relances): policies, the daily batch, letters, litigation."""

    name = "dunning"
    verbose_name = _("Collections")
