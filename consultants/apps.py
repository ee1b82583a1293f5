from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsultantsConfig(AppConfig):
    """Consultants (salariés portés), their profiles and activity accounts."""

    name = "consultants"
    verbose_name = _("Consultants")
