from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsuranceConfig(AppConfig):
    """Credit insurance (assurance-crédit): policies, credit limits, declarations, claims."""

    name = "insurance"
    verbose_name = _("Credit insurance")

    def ready(self):
        from insurance.services import subrogation
        from insurance.services.cover import on_invoice_issued
        from invoices import signals as billing
        from portage.audit import register_actions

        billing.invoice_issued.connect(on_invoice_issued, dispatch_uid="insurance_cover")
        billing.payment_allocated.connect(
            subrogation.on_payment_allocated, dispatch_uid="insurance_subrogation"
        )
        billing.allocation_undone.connect(
            subrogation.on_allocation_undone, dispatch_uid="insurance_subrogation_undone"
        )
        billing.issue_warnings.connect(_issue_warnings, dispatch_uid="insurance_issue_warnings")
        from insurance import timeline

        billing.client_panels.connect(timeline.client_panel, dispatch_uid="insurance_client_panel")
        register_actions(ACTION_LABELS)
        _add_to_collections_pages()
        # The collector's home adds the declarations at risk and the claims to file.
        from insurance.views.home import collector_home_panels
        from portage.permissions import Role
        from portage.signals import home_panels

        home_panels.connect(
            collector_home_panels, sender=Role.COLLECTOR, dispatch_uid="insurance_home"
        )
        from insurance.views.admin_home import admin_home_panels

        home_panels.connect(admin_home_panels, sender=Role.ADMIN, dispatch_uid="insurance_admin")
        # The consultant's portal says where the insurer stands on each invoice.
        from consultants.signals import portal_invoices
        from insurance.portal import portal_insurance

        portal_invoices.connect(portal_insurance, dispatch_uid="insurance_portal")


def _add_to_collections_pages():
    from dunning import signals as collections
    from insurance import timeline

    collections.invoice_facts.connect(timeline.annotate_covers, dispatch_uid="insurance_covers")
    collections.timeline_sources.connect(timeline.client_events, dispatch_uid="insurance_timeline")
    collections.client_panels.connect(timeline.client_panel, dispatch_uid="insurance_panel")


def _issue_warnings(sender, invoice, day, **kwargs):
    """What credit insurance tells the user before an invoice is issued (answers
    `invoices.signals.issue_warnings`)."""
    from insurance.selectors.covers import issue_warnings

    return issue_warnings(invoice, day)


ACTION_LABELS = {
    "insurance.overdue_declared": _("Overdue to declare to the insurer"),
    "insurance.declaration_sent": _("Overdue declared to the insurer"),
    "insurance.claim_opened": _("Claim opened"),
    "insurance.claim_filed": _("Claim filed"),
    "insurance.claim_acknowledged": _("Claim acknowledged by the insurer"),
    "insurance.claim_indemnified": _("Indemnity received"),
    "insurance.claim_rejected": _("Claim rejected"),
    "insurance.claim_closed": _("Claim closed"),
    "insurance.limit_requested": _("Credit limit requested"),
    "insurance.limit_decided": _("Credit limit decision recorded"),
    "insurance.insurer_created": _("Insurer added"),
    "insurance.insurer_updated": _("Insurer changed"),
    "insurance.policy_created": _("Insurance policy added"),
    "insurance.policy_updated": _("Insurance policy changed"),
    "insurance.turnover_declared": _("Turnover declared to the insurer"),
    "insurance.blank_test_created": _("Blank test created"),
    "insurance.blank_test_answered": _("Blank test answers recorded"),
    "insurance.subrogation": _("Payment shared with the insurer (subrogation)"),
    "insurance.prospect_asked": _("Prospect check asked"),
    "insurance.prospect_answered": _("Prospect check answered"),
}
