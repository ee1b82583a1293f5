from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EinvoicingConfig(AppConfig):
    """E-invoicing (facturation électronique): the plateforme agréée, lifecycle statuses,
    payments collected reported."""

    name = "einvoicing"
    verbose_name = _("E-invoicing")
