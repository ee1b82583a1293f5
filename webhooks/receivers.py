"""From the other apps' signals to webhook events. The data an event carries is the object
as the API shows it (the API's serializers), or a small dict with ids and amounts as
strings where the API has no such object yet."""

from invoices.models import Invoice
from webhooks.models import EventType
from webhooks.services import emit, emit_many


def _invoice(invoice):
    from invoices.api.invoices import InvoiceSerializer

    return lambda: InvoiceSerializer(invoice).data


def on_invoice_issued(sender, invoice, **kwargs):
    emit(tenant=invoice.tenant, type=EventType.INVOICE_ISSUED, data=_invoice(invoice))


def on_payment_allocated(sender, allocation, invoice, payment, **kwargs):
    """`invoice.paid`: an allocation brought the balance to zero."""
    if invoice.status == Invoice.Status.PAID and invoice.balance == 0:
        emit(tenant=invoice.tenant, type=EventType.INVOICE_PAID, data=_invoice(invoice))


def on_payment_recorded(sender, payment, **kwargs):
    from invoices.api.payments import PaymentSerializer

    emit(
        tenant=payment.tenant,
        type=EventType.PAYMENT_CREATED,
        data=lambda: PaymentSerializer(payment).data,
    )


def on_step_performed(sender, groups, day, **kwargs):
    """One event per invoice and step, as the ladder records them, written together: the
    daily batch performs thousands of steps."""
    actions = [
        action for group_actions, _step, _client, _status in groups for action in group_actions
    ]
    if not actions:
        return
    emit_many(
        tenant=actions[0].tenant,
        type=EventType.DUNNING_STEP_PERFORMED,
        datas=[
            {
                "id": action.pk,
                "invoice": action.invoice_id,
                "invoice_number": action.invoice.number,
                "client": client.pk,
                "step": step.kind,
                "channel": step.channel,
                "status": status,
                "performed_on": day.isoformat(),
                "balance": str(action.balance),
            }
            for group_actions, step, client, status in groups
            for action in group_actions
        ],
    )


def _claim(claim):
    def data():
        return {
            "id": claim.pk,
            "client": claim.client_id,
            "policy": claim.policy_id,
            "state": claim.state,
            "opened_on": claim.opened_on.isoformat(),
            "filed_on": claim.filed_on.isoformat() if claim.filed_on else None,
            "insurer_reference": claim.insurer_reference,
            "invoices": sorted(claim.lines.values_list("invoice_id", flat=True)),
            "unpaid_covered": str(claim.unpaid_covered),
            "expected_indemnity": str(claim.expected_indemnity),
            "indemnity_amount": (
                str(claim.indemnity_amount) if claim.indemnity_amount is not None else None
            ),
            "indemnified_on": claim.indemnified_on.isoformat() if claim.indemnified_on else None,
        }

    return data


def on_claim_filed(sender, claim, **kwargs):
    emit(tenant=claim.tenant, type=EventType.CLAIM_FILED, data=_claim(claim))


def on_claim_indemnified(sender, claim, **kwargs):
    emit(tenant=claim.tenant, type=EventType.CLAIM_INDEMNIFIED, data=_claim(claim))


def on_lifecycle_status(sender, invoice, status, **kwargs):
    """`invoice.lifecycle_status`: a status of the e-invoicing platform or the buyer (200
    Déposée, 213 Rejetée, 210 Refusée, 212 Encaissée, ...), with its reason."""
    emit(
        tenant=invoice.tenant,
        type=EventType.INVOICE_LIFECYCLE_STATUS,
        data={
            "id": status.pk,
            "invoice": invoice.pk,
            "invoice_number": invoice.number,
            "code": status.code,
            "label": status.label,
            "sender": status.sender,
            "reason_code": status.reason_code,
            "reason_text": status.reason_text,
            "amount": None if status.amount is None else str(status.amount),
            "issued_at": status.issued_at.isoformat(),
        },
    )
