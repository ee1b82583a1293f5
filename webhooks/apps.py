from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    """Webhooks: the company's endpoints receive its events, signed, retried and logged."""

    name = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self):
        from dunning.signals import step_performed
        from einvoicing.signals import status_received
        from insurance.signals import claim_filed, claim_indemnified
        from invoices import signals as billing
        from portage.audit import register_actions
        from webhooks import receivers

        for signal, receiver in [
            (billing.invoice_issued, receivers.on_invoice_issued),
            (billing.payment_allocated, receivers.on_payment_allocated),
            (billing.payment_recorded, receivers.on_payment_recorded),
            (step_performed, receivers.on_step_performed),
            (claim_filed, receivers.on_claim_filed),
            (claim_indemnified, receivers.on_claim_indemnified),
            (status_received, receivers.on_lifecycle_status),
        ]:
            signal.connect(receiver, dispatch_uid=f"webhooks_{receiver.__name__}")
        register_actions(ACTION_LABELS)


ACTION_LABELS = {
    "webhooks.endpoint_created": _("Webhook endpoint added"),
    "webhooks.endpoint_updated": _("Webhook endpoint changed"),
    "webhooks.endpoint_disabled": _("Webhook endpoint disabled"),
    "webhooks.endpoint_enabled": _("Webhook endpoint enabled"),
    "webhooks.endpoint_deleted": _("Webhook endpoint deleted"),
    "webhooks.delivery_replayed": _("Webhook sent again"),
}
