"""The consultant's pay: when what their invoices bring is paid out, and why an amount waits.

What was credited to the activity account (a client's payment, an indemnity, an invoice
under the pay model on invoicing) is paid out by the company's pay-out rule
(`Tenant.payout_months_after`, `Tenant.payout_day`); what the pay status
(`selectors.pay_status`) still shows as waiting is paid out once the client pays.
"""

import calendar
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Max

from consultants.models import LedgerEntry
from consultants.services import PAY_OUT_KINDS
from invoices.models import Allocation, Invoice, PaymentNotice
from invoices.selectors import pay_rows
from portage.models import PayModel
from portage.money import ZERO


def _month_day(year, month, day):
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _add_months(year, month, months):
    year, month = divmod(year * 12 + month - 1 + months, 12)
    return year, month + 1


def payout_date(*, credited_on, months_after, day):
    """The day an amount credited on `credited_on` is paid out: `day` of the month
    `months_after` months later (that month's last day when it is shorter). With
    `months_after=0`, an amount credited after the pay-out day waits for the next month's."""
    year, month = _add_months(credited_on.year, credited_on.month, months_after)
    paid_on = _month_day(year, month, day)
    if paid_on < credited_on:
        paid_on = _month_day(*_add_months(year, month, 1), day)
    return paid_on


def tenant_payout_date(tenant, credited_on):
    """`payout_date` under the company's pay-out rule."""
    return payout_date(
        credited_on=credited_on, months_after=tenant.payout_months_after, day=tenant.payout_day
    )


@dataclass(frozen=True)
class NetSplit:
    """The consultant's net on one invoice, split as the portal tells it: received (credited
    to the activity account, by the client's payments or the insurer's indemnity), expected
    (waiting for a client not late yet) and at risk (waiting for a client past the due date:
    under the pay model on collection, the consultant may not receive it)."""

    received: Decimal
    expected: Decimal
    at_risk: Decimal


def net_split(row, *, today):
    """`row` is an `InvoicePay` of `pay_status`; `today` decides whether the client is late."""
    invoice = row.invoice
    late = invoice.is_open and invoice.due_date < today
    waiting = max(row.waiting, ZERO)
    return NetSplit(
        received=row.acquired + row.indemnified,
        expected=ZERO if late else waiting,
        at_risk=waiting if late else ZERO,
    )


def last_payment_dates(invoices):
    """{invoice pk: the date of the latest payment still allocated to it}."""
    return dict(
        Allocation.objects.filter(invoice__in=invoices, is_active=True)
        .values_list("invoice_id")
        .annotate(last=Max("payment__received_on"))
    )


@dataclass(frozen=True)
class ExpectedAmount:
    """An amount the consultant is to receive, when, and why it waits.

    `credited_on` is set for what the activity account already holds (paid out on the
    rule's date); it is None for what waits for the client, whose date is the earliest one
    (the rule applied to the day the client is due to pay, or today if later)."""

    amount: Decimal
    expected_on: date
    invoice: Invoice | None
    label: str
    kind: str
    credited_on: date | None = None
    row: object = None
    client_pays_by: date | None = None

    @property
    def waits_for_client(self):
        return self.credited_on is None


# Amounts a month of the pay page lists one by one; a consultant with hundreds of invoices
# waiting gets the others counted, with their total.
EXPECTED_SHOWN = 50


@dataclass
class PayMonth:
    month: date
    paid_out: Decimal = ZERO
    expected: list = field(default_factory=list)

    @property
    def expected_total(self):
        return sum((item.amount for item in self.expected), ZERO)

    @property
    def expected_shown(self):
        """The month's first `EXPECTED_SHOWN` amounts, by date: the pay page lists those, the
        others are counted (and each is on the invoice-by-invoice table)."""
        return self.expected[:EXPECTED_SHOWN]

    @property
    def expected_more(self):
        return self.expected[EXPECTED_SHOWN:]

    @property
    def expected_more_total(self):
        return sum((item.amount for item in self.expected_more), ZERO)


def _credits_not_paid_out(entries, balance):
    """What the activity account holds that was not paid out yet: pay-outs take the oldest
    credits first, so the balance is made of the latest ones. One amount per invoice and
    day (its collected amount and fee together)."""
    groups = {}
    for entry in entries:
        if entry.kind in PAY_OUT_KINDS:
            continue
        key = (entry.invoice_pk, entry.booked_on)
        amount, kind, label = groups.get(key, (ZERO, entry.kind, entry.label))
        if entry.kind != LedgerEntry.Kind.MANAGEMENT_FEE:
            kind = entry.kind
        groups[key] = (amount + entry.amount, kind, label)
    left = balance
    for (invoice_pk, booked_on), (amount, kind, label) in sorted(
        groups.items(), key=lambda item: item[0][1], reverse=True
    ):
        if left <= 0:
            break
        if amount <= 0:
            continue
        part = min(amount, left)
        left -= part
        yield invoice_pk, booked_on, part, kind, label


def pay_schedule(*, consultant, status, today):
    """Per month, newest first: what was paid out to the consultant (salaries and
    advances) and what they are to receive, each amount with its expected date and why it
    waits. `status` is the consultant's `pay_status`."""
    tenant = consultant.tenant
    entries = list(LedgerEntry.objects.filter(consultant=consultant).order_by("booked_on", "id"))
    months = {}

    def month_of(day):
        first = day.replace(day=1)
        return months.setdefault(first, PayMonth(month=first))

    for entry in entries:
        if entry.kind in PAY_OUT_KINDS:
            month_of(entry.booked_on).paid_out -= entry.amount
    invoices = {row.invoice.pk: row.invoice for row in status.rows}
    for invoice_pk, booked_on, amount, kind, label in _credits_not_paid_out(
        entries, status.balance
    ):
        expected_on = tenant_payout_date(tenant, booked_on)
        month_of(expected_on).expected.append(
            ExpectedAmount(
                amount=amount,
                expected_on=expected_on,
                invoice=invoices.get(invoice_pk),
                label=label,
                kind=kind,
                credited_on=booked_on,
            )
        )
    for row in status.rows:
        if row.waiting <= 0 or not row.invoice.is_open:
            continue
        client_pays_by = max(today, row.invoice.due_date)
        expected_on = tenant_payout_date(tenant, client_pays_by)
        month_of(expected_on).expected.append(
            ExpectedAmount(
                amount=row.waiting,
                expected_on=expected_on,
                invoice=row.invoice,
                label=row.invoice.number,
                kind="waiting",
                row=row,
                client_pays_by=client_pays_by,
            )
        )
    for month in months.values():
        month.expected.sort(key=lambda item: (item.expected_on, item.label))
    return sorted(months.values(), key=lambda month: month.month, reverse=True)


def waiting_invoices(schedule):
    """The invoices whose amounts wait for the client, for the facts the apps above add."""
    return [item.invoice for month in schedule for item in month.expected if item.row]


def portal_pay_facts(*, consultant, invoices, today):
    """Sets on each of the consultant's `invoices` what the portal tells of its pay: `pay`
    (its `pay_status` row), `net_split` (received, expected, at risk), `last_paid_on` (the
    day of the latest payment on it, or None) and `payout_on`: for what still waits for the
    client, the earliest pay-out (`client_pays_by` the day the rule starts from: the due
    date, or today once it is past); else, under the pay model on collection, the pay-out
    of the latest payment."""
    tenant = consultant.tenant
    rows = pay_rows(consultant=consultant, invoices=invoices)
    paid_on = last_payment_dates([invoice.pk for invoice in invoices])
    for invoice, row in zip(invoices, rows, strict=True):
        invoice.pay = row
        invoice.net_split = net_split(row, today=today)
        invoice.last_paid_on = paid_on.get(invoice.pk)
        invoice.client_pays_by = invoice.payout_on = None
        if invoice.is_open and row.waiting > 0:
            invoice.client_pays_by = max(today, invoice.due_date)
            invoice.payout_on = tenant_payout_date(tenant, invoice.client_pays_by)
        elif invoice.last_paid_on and invoice.pay_model == PayModel.ON_COLLECTION:
            invoice.payout_on = tenant_payout_date(tenant, invoice.last_paid_on)
    return invoices


def payment_notices(*, consultant, invoice=None):
    """The notices of the client's payments sent to the consultant, the latest first."""
    notices = PaymentNotice.objects.filter(consultant=consultant).select_related(
        "invoice__client", "allocation"
    )
    if invoice is not None:
        notices = notices.filter(invoice=invoice)
    return notices.order_by("-received_on", "-id")
