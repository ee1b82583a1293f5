"""A client payment received after the insurer indemnified an invoice is shared with the
insurer (subrogation, Code des assurances L121-12), and the consultant keeps only the
company's share: the insurer's part, which the consultant's account was credited with when
the payment was allocated, is taken back as a "recovery after indemnity"."""

from django.db.models import Sum

from consultants.models import LedgerEntry
from consultants.services import ledger_post
from insurance import rules
from insurance.models import Claim, ClaimInvoice, Subrogation
from insurance.selectors.claims import consultant_net, indemnified_invoices
from portage.models import PayModel
from portage.money import ZERO
from portage.services import audit_record


def on_payment_allocated(sender, allocation, invoice, payment, by=None, **kwargs):
    """Shares the part of a payment allocated to an indemnified invoice with the insurer
    (`rules.share_recovery`), against what was recovered on the invoice before: billing
    allocates under the invoice's row lock, so two payments on it are shared one after the
    other and the insurer's running total holds."""
    line = (
        ClaimInvoice.objects.filter(invoice=invoice, claim__indemnified_on__isnull=False)
        .select_related("claim")
        .first()
    )
    if line is None or payment.received_on < line.claim.indemnified_on:
        return  # before the date of loss the payment is all the company's
    claim = Claim.objects.select_related("policy").get(pk=line.claim_id)
    share = rules.share_recovery(
        invoice=indemnified_invoices(claim)[invoice.pk],
        amount=allocation.amount,
        received_on=payment.received_on,
    )
    adjustment = ZERO
    if invoice.pay_model == PayModel.ON_COLLECTION and share.to_insurer > 0:
        adjustment = _take_back(
            claim,
            invoice,
            to_insurer=_to_insurer(invoice) + share.to_insurer,
            booked_on=payment.received_on,
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
            "vat": str(share.vat),
        },
    )


def on_allocation_undone(sender, allocation, invoice, booked_on, by=None, **kwargs):
    """A reversed payment gives the insurer's share back to the consultant's account."""
    subrogation = (
        Subrogation.objects.filter(allocation=allocation, undone=False)
        .select_related("claim__policy")
        .first()
    )
    if subrogation is None:
        return
    subrogation.undone = True
    subrogation.save(update_fields=["undone"])
    if subrogation.consultant_adjustment:
        _take_back(
            subrogation.claim,
            invoice,
            to_insurer=_to_insurer(invoice),
            booked_on=booked_on,
            by=by,
        )


def _to_insurer(invoice):
    """What the payments still standing on `invoice` gave the insurer."""
    total = Subrogation.objects.filter(invoice=invoice, undone=False).aggregate(
        total=Sum("to_insurer")
    )
    return total["total"] or ZERO


def _take_back(claim, invoice, *, to_insurer, booked_on, by):
    """Bring the consultant's recoveries on `invoice` to what the insurer's part of its
    payments (`to_insurer`, a running total) was worth to them on the indemnity's basis, and
    return what was posted. On the running total, as payments are: rounding never drifts,
    and once the insurer has had its whole indemnity back the consultant has given back
    exactly what the indemnity credited."""
    _excl_vat, _fee, net = consultant_net(invoice, to_insurer, covers_vat=claim.policy.covers_vat)
    posted = LedgerEntry.objects.filter(
        consultant=invoice.consultant,
        invoice_pk=invoice.pk,
        kind=LedgerEntry.Kind.RECOVERY_AFTER_INDEMNITY,
    ).aggregate(total=Sum("amount"))
    adjustment = -net - (posted["total"] or ZERO)
    ledger_post(
        consultant=invoice.consultant,
        kind=LedgerEntry.Kind.RECOVERY_AFTER_INDEMNITY,
        amount=adjustment,
        booked_on=booked_on,
        label=invoice.number,
        invoice=invoice,
        by=by,
    )
    return adjustment
