"""Payments from clients: recording, allocating to invoices, reversing.

An invoice's status follows what was paid and credited on it: issued → partially paid →
paid, and back when a payment is reversed. Under the pay model "on collection" each
allocation credits the consultant's activity account with the net (excl. VAT, less the
management fee) of what was collected, and a reversal takes it back.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from consultants.models import LedgerEntry
from consultants.services import ledger_post
from invoices.models import Allocation, Invoice, Payment
from invoices.signals import allocation_undone, payment_allocated, payment_recorded
from portage.batch import paris_today
from portage.models import PayModel
from portage.money import ZERO, to_cents
from portage.services import audit_record
from portage.templatetags.portage import euros
from portage.validators import validate_business_date


def settle(invoice):
    """Set the status that the amounts paid and credited call for, and save them."""
    if invoice.credited_amount >= invoice.total_ttc:
        invoice.status = Invoice.Status.CREDITED
    elif invoice.paid_amount + invoice.credited_amount >= invoice.total_ttc:
        invoice.status = Invoice.Status.PAID
    elif invoice.paid_amount > 0:
        invoice.status = Invoice.Status.PARTIALLY_PAID
    else:
        invoice.status = Invoice.Status.ISSUED
    invoice.save(
        update_fields=["paid_amount", "credited_amount", "credited_ht", "status", "updated_at"]
    )


def sync_consultant_account(invoice, *, booked_on, by):
    """Bring the consultant's account in line with what was collected on the invoice.

    The consultant's share of everything paid on it (`Invoice.share_of`): an invoice paid
    in full credits exactly its net. Only the difference with what the account already
    holds for the invoice is posted, so rounding never drifts.
    """
    if invoice.pay_model != PayModel.ON_COLLECTION:
        return
    share = invoice.share_of(invoice.paid_amount)
    collected, fee = share.excl_vat, share.fee
    posted = dict(
        LedgerEntry.objects.filter(consultant=invoice.consultant, invoice_pk=invoice.pk)
        .values_list("kind")
        .annotate(total=Sum("amount"))
    )
    # The invoice number, not a sentence: entries are read in each reader's language.
    label = invoice.number
    ledger_post(
        consultant=invoice.consultant,
        kind=LedgerEntry.Kind.INVOICE_COLLECTED,
        amount=collected - posted.get(LedgerEntry.Kind.INVOICE_COLLECTED, ZERO),
        booked_on=booked_on,
        label=label,
        invoice=invoice,
        by=by,
    )
    ledger_post(
        consultant=invoice.consultant,
        kind=LedgerEntry.Kind.MANAGEMENT_FEE,
        amount=-fee - posted.get(LedgerEntry.Kind.MANAGEMENT_FEE, ZERO),
        booked_on=booked_on,
        label=label,
        invoice=invoice,
        by=by,
    )


def _allocate(payment, invoice, amount, *, by):
    if invoice.client_id != payment.client_id:
        raise ValidationError(
            _("Invoice %(number)s is not %(client)s's."),
            params={"number": invoice.number, "client": payment.client},
        )
    if invoice.kind != Invoice.Kind.INVOICE or not invoice.is_open:
        raise ValidationError(
            _("Invoice %(number)s is not open for payment."), params={"number": invoice.number}
        )
    if amount <= 0:
        raise ValidationError(_("An allocation must be positive."))
    if amount > invoice.balance:
        raise ValidationError(
            _("%(amount)s is more than the %(balance)s still due on %(number)s."),
            params={
                "amount": euros(amount),
                "balance": euros(invoice.balance),
                "number": invoice.number,
            },
            code="beyond_balance",
        )
    allocation = Allocation.objects.create(
        tenant=payment.tenant, payment=payment, invoice=invoice, amount=amount, created_by=by
    )
    invoice.paid_amount += amount
    settle(invoice)
    sync_consultant_account(invoice, booked_on=payment.received_on, by=by)
    payment_allocated.send(
        sender=Allocation, allocation=allocation, invoice=invoice, payment=payment, by=by
    )
    return allocation


def unallocated(payment):
    """What is left of the payment for the client's other invoices (the client's credit)."""
    if payment.status == Payment.Status.REVERSED:
        return ZERO
    allocated = payment.allocations.filter(is_active=True).aggregate(total=Sum("amount"))
    return payment.amount - (allocated["total"] or ZERO)


def _locked_invoices(pks):
    # Always in the same order, so that two payments never wait on each other.
    return {
        invoice.pk: invoice
        for invoice in Invoice.objects.select_for_update().filter(pk__in=pks).order_by("pk")
    }


@transaction.atomic
def payment_record(
    *,
    client,
    amount,
    received_on,
    by,
    method=Payment.Method.TRANSFER,
    reference="",
    allocations=(),
):
    """Record money received from a client and allocate it to its invoices.

    `allocations` is a list of (invoice, amount). What is not allocated stays the client's
    credit. Allocating more than an invoice's balance, or more than the payment, is refused.
    """
    amount = to_cents(amount)
    if amount <= 0:
        raise ValidationError(_("A payment must be positive."), code="not_positive")
    validate_business_date(received_on, today=paris_today(), label=_("The day received"))
    allocations = [(invoice, to_cents(part)) for invoice, part in allocations]
    if sum((part for _, part in allocations), ZERO) > amount:
        raise ValidationError(
            _("The allocations add up to more than the payment (%(amount)s)."),
            params={"amount": euros(amount)},
            code="over_allocated",
        )
    payment = Payment.objects.create(
        tenant=client.tenant,
        client=client,
        amount=amount,
        received_on=received_on,
        method=method,
        reference=reference[:140],
        created_by=by,
    )
    invoices = _locked_invoices([invoice.pk for invoice, _ in allocations])
    for invoice, part in allocations:
        _allocate(payment, invoices[invoice.pk], part, by=by)
    audit_record(
        tenant=client.tenant,
        actor=by,
        action="payment.recorded",
        obj=payment,
        after={
            "amount": amount,
            "received_on": received_on,
            "allocations": {invoices[i.pk].number: part for i, part in allocations},
        },
    )
    payment_recorded.send(sender=Payment, payment=payment)
    return payment


@transaction.atomic
def payment_allocate(*, payment, invoice, amount, by):
    """Allocate part of a payment's unallocated credit to another invoice of the client."""
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.status != Payment.Status.ACTIVE:
        raise ValidationError(_("A reversed payment cannot be allocated."))
    amount = to_cents(amount)
    if amount > unallocated(payment):
        raise ValidationError(
            _("Only %(left)s of this payment is left to allocate."),
            params={"left": euros(unallocated(payment))},
            code="over_allocated",
        )
    allocation = _allocate(payment, _locked_invoices([invoice.pk])[invoice.pk], amount, by=by)
    audit_record(
        tenant=payment.tenant,
        actor=by,
        action="payment.allocated",
        obj=payment,
        after={"invoice": invoice.number, "amount": amount},
    )
    return allocation


@transaction.atomic
def payment_reverse(*, payment, reason, by, booked_on=None):
    """Undo a payment recorded by mistake (or a bounced cheque): its allocations are undone,
    the invoices reopen, and the consultant's account gives back what it had been credited.
    Nothing is deleted; the reason is kept."""
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.status == Payment.Status.REVERSED:
        raise ValidationError(_("This payment is already reversed."), code="already_reversed")
    if not reason.strip():
        raise ValidationError(_("A reversal states its reason."), code="no_reason")
    active = list(payment.allocations.filter(is_active=True))
    invoices = _locked_invoices([allocation.invoice_id for allocation in active])
    for allocation in active:
        allocation.is_active = False
        allocation.save(update_fields=["is_active"])
        invoice = invoices[allocation.invoice_id]
        invoice.paid_amount -= allocation.amount
        settle(invoice)
        sync_consultant_account(invoice, booked_on=booked_on or paris_today(), by=by)
        allocation_undone.send(
            sender=Allocation,
            allocation=allocation,
            invoice=invoice,
            booked_on=booked_on or paris_today(),
            by=by,
        )
    payment.status = Payment.Status.REVERSED
    payment.reversal_reason = reason.strip()[:300]
    payment.reversed_at = timezone.now()
    payment.reversed_by = by
    payment.save(update_fields=["status", "reversal_reason", "reversed_at", "reversed_by"])
    audit_record(
        tenant=payment.tenant,
        actor=by,
        action="payment.reversed",
        obj=payment,
        before={"status": Payment.Status.ACTIVE},
        after={"status": payment.status, "reason": payment.reversal_reason},
    )
    return payment


def split_over_invoices(amount, invoices):
    """Spread `amount` over `invoices` (oldest due first) up to each balance: [(invoice, part)]."""
    parts = []
    left = Decimal(amount)
    for invoice in sorted(invoices, key=lambda i: (i.due_date, i.pk)):
        if left <= 0:
            break
        part = min(left, invoice.balance)
        if part > 0:
            parts.append((invoice, part))
            left -= part
    return parts
