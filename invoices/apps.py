from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvoicesConfig(AppConfig):
    """Clients, missions, invoices, credit notes and payments."""

    name = "invoices"
    verbose_name = _("Invoicing")
