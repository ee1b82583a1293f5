from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


def _tenant_created(sender, instance, created, raw=False, **kwargs):
    """A new company starts with the default ladder and the known reference rates."""
    if created and not raw:
        from dunning.services.defaults import tenant_defaults_ensure
        from portage.tenancy import tenant_context

        with tenant_context(instance):
            tenant_defaults_ensure(instance)


class DunningConfig(AppConfig):
    """The collections ladder (relances): policies, the daily batch, letters, litigation."""

    name = "dunning"
    verbose_name = _("Collections")

    def ready(self):
        from consultants.signals import portal_invoices
        from dunning.views import policies, portal, worklist
        from portage.audit import register_actions
        from portage.models import Tenant
        from portage.permissions import Role
        from portage.signals import home_panels

        # The consultant's home shows the reminders the ladder asks of them, and each
        # invoice's place on the ladder.
        home_panels.connect(
            portal.consultant_home_panels, sender=Role.CONSULTANT, dispatch_uid="dunning_home"
        )
        portal_invoices.connect(portal.portal_invoices_ladder, dispatch_uid="dunning_portal")
        # The invoice list and an invoice's page show its step, its hold and its timeline.
        from invoices.signals import invoice_rows

        invoice_rows.connect(worklist.billing_invoice_facts, dispatch_uid="dunning_invoice_rows")
        # The collector's home adds what the ladder needs from a person today.
        home_panels.connect(
            worklist.collector_home_panels, sender=Role.COLLECTOR, dispatch_uid="dunning_home"
        )
        # The admin's home shows the emails not sent and the litigation files.
        from dunning.views.admin_home import admin_home_panels

        home_panels.connect(admin_home_panels, sender=Role.ADMIN, dispatch_uid="dunning_admin")
        # The admin's and the collector's homes name the reference rates the penalties lack.
        for role in (Role.ADMIN, Role.COLLECTOR):
            home_panels.connect(policies.home_notices, sender=role, dispatch_uid="dunning_notices")
        # A contract rate of late penalties is checked against its floor where it is set.
        from dunning.services.policies import contract_rate_check
        from portage.services import tenant_check

        tenant_check(contract_rate_check)

        post_save.connect(_tenant_created, sender=Tenant, dispatch_uid="dunning_defaults")
        # The buyer's statuses through the e-invoicing platform pause or hold the ladder.
        from dunning.services.platform_statuses import on_status_received
        from einvoicing.signals import status_received

        status_received.connect(on_status_received, dispatch_uid="dunning_platform_statuses")
        register_actions(ACTION_LABELS)


ACTION_LABELS = {
    "dunning.step_performed": _("Dunning step performed"),
    "dunning.message_retried": _("Message sent again"),
    "dunning.paused": _("Dunning paused"),
    "dunning.resumed": _("Dunning resumed"),
    "dunning.contact_logged": _("Contact logged"),
    "dunning.debt_acknowledged": _("Debt acknowledged"),
    "dunning.letter_posted": _("Formal notice posted"),
    "dunning.letter_regenerated": _("Formal notice written again"),
    "dunning.letter_withdrawn": _("Formal notice withdrawn"),
    "dunning.litigation_opened": _("Litigation file opened"),
    "dunning.litigation_updated": _("Litigation file changed"),
    "dunning.policy_changed": _("Dunning policy changed"),
    "dunning.client_settings_changed": _("Client dunning settings changed"),
    "dunning.rates_changed": _("Reference rates changed"),
}
