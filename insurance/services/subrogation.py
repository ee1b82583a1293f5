"""A client payment received after the insurer indemnified an invoice is shared with the
insurer (subrogation, Code des assurances L121-12), and the consultant keeps only the
company's share: the insurer's part, which the consultant's account was credited with when
the payment was allocated, is taken back as a "recovery after indemnity"."""

from decimal import Decimal

from consultants.models import LedgerEntry
from consultants.services import ledger_post
from insurance import rules
from insurance.models import ClaimInvoice, Subrogation
from insurance.services.claims import insurer_share_percent
from portage.models import PayModel
from portage.money import ZERO, to_cents
from portage.services import audit_record


def consultant_share(invoice, amount):
    """What the consultant's account was credited for `amount` collected on the invoice:
    its share excl. VAT, less the management fee (as billing's sync does)."""
    if invoice.total_ttc <= 0:
        return ZERO
    collected = to_cents(amount * invoice.total_ht / invoice.total_ttc)
    return collected - to_cents(collected * invoice.fee_rate / Decimal(100))


def on_payment_allocated(sender, allocation, invoice, payment, by=None, **kwargs):
    line = (
        ClaimInvoice.objects.filter(invoice=invoice, claim__indemnified_on__isnull=False)
        .select_related("claim")
        .first()
    )
    if line is None or payment.received_on < line.claim.indemnified_on:
        return  # before the date of loss the payment is all the company's
    claim = line.claim
    percent = insurer_share_percent(claim)
    (share,) = [
        s
        for s in rules.split_payment(
            amount=allocation.amount,
            received_on=payment.received_on,
            loss_date=claim.indemnified_on,
            balances=[(invoice.pk, invoice.due_date, allocation.amount)],
            insurer_share_percent=percent,
        )
        if s.invoice_key == invoice.pk
    ]
    adjustment = ZERO
    if invoice.pay_model == PayModel.ON_COLLECTION and share.to_insurer > 0:
        adjustment = -consultant_share(invoice, share.to_insurer)
        ledger_post(
            consultant=invoice.consultant,
            kind=LedgerEntry.Kind.RECOVERY_AFTER_INDEMNITY,
            amount=adjustment,
            booked_on=payment.received_on,
            label=invoice.number,
            invoice=invoice,
            by=by,
        )
    subrogation = Subrogation.objects.create(
        tenant=invoice.tenant,
        claim=claim,
        invoice=invoice,
        allocation=allocation,
        received_on=payment.received_on,
        amount=allocation.amount,
        to_insurer=share.to_insurer,
        to_company=share.to_company,
        consultant_adjustment=adjustment,
    )
    audit_record(
        tenant=invoice.tenant,
        actor=by,
        action="insurance.subrogation",
        obj=subrogation,
        after={
            "invoice": invoice.number,
            "payment": str(allocation.amount),
            "to_insurer": str(share.to_insurer),
            "to_company": str(share.to_company),
        },
    )


def on_allocation_undone(sender, allocation, invoice, booked_on, by=None, **kwargs):
    """A reversed payment gives the insurer's share back to the consultant's account."""
    subrogation = Subrogation.objects.filter(allocation=allocation, undone=False).first()
    if subrogation is None:
        return
    if subrogation.consultant_adjustment:
        ledger_post(
            consultant=invoice.consultant,
            kind=LedgerEntry.Kind.RECOVERY_AFTER_INDEMNITY,
            amount=-subrogation.consultant_adjustment,
            booked_on=booked_on,
            label=invoice.number,
            invoice=invoice,
            by=by,
        )
    subrogation.undone = True
    subrogation.save(update_fields=["undone"])
