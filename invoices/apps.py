from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvoicesConfig(AppConfig):
    """Clients, missions, invoices, credit notes and payments."""

    name = "invoices"
    verbose_name = _("Invoicing")

    def ready(self):
        from invoices.views import home
        from portage.audit import register_actions
        from portage.permissions import Role
        from portage.signals import home_panels

        home_panels.connect(
            home.collector_home_panels, sender=Role.COLLECTOR, dispatch_uid="invoices_home"
        )
        home_panels.connect(
            home.admin_home_panels, sender=Role.ADMIN, dispatch_uid="invoices_admin_home"
        )
        register_actions(ACTION_LABELS)
        # Each client payment is notified to the consultant (Code du travail L1254-25).
        from invoices.services.notices import on_payment_allocated
        from invoices.signals import payment_allocated

        payment_allocated.connect(on_payment_allocated, dispatch_uid="invoices_payment_notice")


ACTION_LABELS = {
    "client.created": _("Client created"),
    "client.updated": _("Client changed"),
    "mission.created": _("Mission created"),
    "invoice.drafted": _("Draft invoice created"),
    "invoice.draft_deleted": _("Draft invoice deleted"),
    "invoice.issued": _("Invoice issued"),
    "invoice.credited": _("Credit note issued"),
    "payment.recorded": _("Payment recorded"),
    "payment.allocated": _("Credit allocated"),
    "payment.reversed": _("Payment reversed"),
    "bank.statement_imported": _("Bank statement imported"),
    "bank.line_dismissed": _("Bank line dismissed"),
}
