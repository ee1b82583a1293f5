from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsuranceConfig(AppConfig):
    """Credit insurance (assurance-crédit): policies, credit limits, declarations, claims."""

    name = "insurance"
    verbose_name = _("Credit insurance")

    def ready(self):
        from insurance.services.cover import on_invoice_issued
        from invoices.signals import invoice_issued
        from portage.audit import register_actions

        invoice_issued.connect(on_invoice_issued, dispatch_uid="insurance_cover")
        register_actions(ACTION_LABELS)


ACTION_LABELS = {
    "insurance.overdue_declared": _("Overdue declared to the insurer"),
    "insurance.claim_opened": _("Claim opened"),
}
