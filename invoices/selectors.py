"""Reads of the invoicing app: exposure, lists, and the consultant's pay status."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Case,
    Count,
    DateField,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from consultants.models import LedgerEntry
from consultants.selectors import account_balance, invoice_ledger_sums
from invoices import amounts
from invoices.models import BankLine, BankLineSuggestion, BankStatement, Client, Invoice, Payment
from portage.money import ZERO

MONEY = amounts.MONEY
BALANCE = amounts.balance()


def open_invoices():
    return Invoice.objects.filter(amounts.is_open())


def client_exposure(*, client):
    """The client's exposure (encours): what it still owes, incl. VAT, on issued invoices."""
    total = open_invoices().filter(client=client).aggregate(total=Sum(BALANCE))
    return total["total"] or ZERO


def clients_with_exposure(*, tenant):
    """Clients with their exposure and number of open invoices, in one query."""
    per_client = (
        open_invoices()
        .filter(client=OuterRef("pk"))
        .values("client")
        .annotate(total=Sum(BALANCE))
        .values("total")
    )
    return Client.objects.filter(tenant=tenant).annotate(
        exposure=Coalesce(Subquery(per_client, output_field=MONEY), Value(ZERO), output_field=MONEY)
    )


def client_credit(*, client):
    """What the client paid and is not allocated yet: its credit, to allocate later."""
    payments = Payment.objects.filter(client=client, status=Payment.Status.ACTIVE).annotate(
        allocated=Coalesce(
            Sum("allocations__amount", filter=Q(allocations__is_active=True)),
            Value(ZERO),
            output_field=MONEY,
        )
    )
    return sum((p.amount - p.allocated for p in payments), ZERO)


def days_late(today):
    """How many days an open invoice is past its due date on `today`, as a query expression
    (NULL for an invoice paid, credited, a draft, a credit note or not due yet)."""
    return Case(
        When(
            amounts.is_open() & Q(due_date__lt=today),
            then=Func(
                Value(today, output_field=DateField()),
                F("due_date"),
                template="(%(expressions)s)",
                arg_joiner=" - ",
                output_field=IntegerField(),
            ),
        ),
        default=None,
        output_field=IntegerField(),
    )


def invoice_list(*, tenant, today=None):
    """The company's invoices, the latest issued first; with `today`, each with its
    `days_late` (None when it is not late)."""
    invoices = (
        Invoice.objects.filter(tenant=tenant)
        .select_related("client", "consultant__user", "credited_invoice")
        .order_by("-issue_date", "-id")
    )
    if today is not None:
        invoices = invoices.annotate(days_late=days_late(today))
    return invoices


def payment_list(*, tenant):
    """The company's payments, the latest received first, each with what is left of it to
    allocate (`unallocated`)."""
    return (
        _with_unallocated(Payment.objects.filter(tenant=tenant))
        .select_related("client")
        .order_by("-received_on", "-id")
    )


def _with_unallocated(payments):
    return payments.annotate(
        allocated=Coalesce(
            Sum("allocations__amount", filter=Q(allocations__is_active=True)),
            Value(ZERO),
            output_field=MONEY,
        )
    ).annotate(unallocated=ExpressionWrapper(F("amount") - F("allocated"), output_field=MONEY))


def payments_with_unallocated(*, client):
    """The client's payments, each with what is left of it to allocate (`unallocated`)."""
    return _with_unallocated(Payment.objects.filter(client=client)).order_by("-received_on", "-id")


@dataclass(frozen=True)
class InvoicePay:
    """What an invoice means for the consultant's pay (see the seed article: what was
    received is acquired; the balance waits for the client)."""

    invoice: Invoice
    billed_ht: Decimal
    fee: Decimal
    net: Decimal
    acquired: Decimal
    indemnified: Decimal
    lost: Decimal

    @property
    def waiting(self):
        return self.net - self.acquired - self.indemnified - self.lost


@dataclass(frozen=True)
class PayStatus:
    rows: list
    balance: Decimal

    def total(self, name):
        return sum((getattr(row, name) for row in self.rows), ZERO)


ACQUIRED_KINDS = (
    LedgerEntry.Kind.INVOICE_COLLECTED,
    LedgerEntry.Kind.INVOICE_BILLED,
    LedgerEntry.Kind.MANAGEMENT_FEE,
)
# What the insurer's money leaves the consultant: the indemnity, less what goes back to the
# insurer when the client pays after it.
INDEMNITY_KINDS = (
    LedgerEntry.Kind.INDEMNITY_RECEIVED,
    LedgerEntry.Kind.RECOVERY_AFTER_INDEMNITY,
)


def _pay_invoices(consultant):
    """The consultant's issued invoices."""
    return Invoice.objects.filter(consultant=consultant, kind=Invoice.Kind.INVOICE).exclude(
        status=Invoice.Status.DRAFT
    )


def pay_status(*, consultant):
    """Per issued invoice of the consultant: billed excl. VAT (after credit notes), the
    management fee, the net, what the activity account already holds for it (acquired),
    what the insurer paid, what is lost, and what waits for the client; and the balance."""
    invoices = list(
        _pay_invoices(consultant).select_related("client").order_by("-issue_date", "-id")
    )
    return PayStatus(
        rows=pay_rows(consultant=consultant, invoices=invoices),
        balance=account_balance(consultant=consultant),
    )


def pay_rows(*, consultant, invoices):
    """`pay_status`'s rows for these invoices of the consultant only (a page of them)."""
    sums = invoice_ledger_sums(consultant=consultant, invoice_pks=[i.pk for i in invoices])
    rows = []
    for invoice in invoices:
        posted = sums.get(invoice.pk, {})
        rows.append(
            InvoicePay(
                invoice=invoice,
                billed_ht=invoice.billed_ht,
                fee=invoice.fee,
                net=invoice.net,
                acquired=sum((posted.get(kind, ZERO) for kind in ACQUIRED_KINDS), ZERO),
                indemnified=sum((posted.get(kind, ZERO) for kind in INDEMNITY_KINDS), ZERO),
                lost=ZERO,
            )
        )
    return rows


@dataclass(frozen=True)
class PayTotals:
    """The totals of a consultant's pay status, as `PayStatus.total` gives them, without
    its rows: what a page that shows a few invoices needs."""

    billed_ht: Decimal
    fee: Decimal
    net: Decimal
    acquired: Decimal
    indemnified: Decimal
    lost: Decimal
    balance: Decimal

    @property
    def waiting(self):
        return self.net - self.acquired - self.indemnified - self.lost

    def total(self, name):
        return getattr(self, name)


def pay_totals(*, consultant):
    """`pay_status(consultant=…)`'s totals and balance, summed by PostgreSQL in two queries
    whatever the number of invoices. The fee is rounded per invoice, half away from zero
    to the cent, as `to_cents` rounds it (PostgreSQL's `round(numeric, 2)`)."""
    invoices = _pay_invoices(consultant).annotate(
        pay_billed=amounts.billed_ht(), pay_fee=amounts.fee()
    )
    money = invoices.aggregate(
        billed_ht=Coalesce(Sum("pay_billed"), Value(ZERO), output_field=MONEY),
        fee=Coalesce(Sum("pay_fee"), Value(ZERO), output_field=MONEY),
    )
    invoice_pks = _pay_invoices(consultant).values("pk")
    born_of_invoices = Q(invoice_pk__in=invoice_pks)
    entries = LedgerEntry.objects.filter(consultant=consultant).aggregate(
        balance=Coalesce(Sum("amount"), Value(ZERO), output_field=MONEY),
        acquired=Coalesce(
            Sum("amount", filter=born_of_invoices & Q(kind__in=ACQUIRED_KINDS)),
            Value(ZERO),
            output_field=MONEY,
        ),
        indemnified=Coalesce(
            Sum(
                "amount",
                filter=born_of_invoices & Q(kind__in=INDEMNITY_KINDS),
            ),
            Value(ZERO),
            output_field=MONEY,
        ),
    )
    return PayTotals(
        billed_ht=money["billed_ht"],
        fee=money["fee"],
        net=money["billed_ht"] - money["fee"],
        acquired=entries["acquired"],
        indemnified=entries["indemnified"],
        lost=ZERO,
        balance=entries["balance"],
    )


def overdue_summary(*, tenant, today):
    """How many open invoices are past due on `today`, and how much they still owe."""
    totals = (
        open_invoices()
        .filter(tenant=tenant, due_date__lt=today)
        .aggregate(count=Count("pk"), amount=Sum(BALANCE))
    )
    return {"count": totals["count"], "amount": totals["amount"] or ZERO}


def statements_with_line_counts():
    """Bank statements, each with how many of its credit lines are still to match
    (`lines_unmatched`), matched and waiting for a collector to confirm (`lines_suggested`),
    recorded as payments (`lines_confirmed`) or dismissed (`lines_dismissed`)."""
    counts = {
        f"lines_{status}": Count("lines", filter=Q(lines__status=status))
        for status in BankLine.Status.values
    }
    return BankStatement.objects.annotate(lines_total=Count("lines"), **counts)


def bank_credits_proposed(invoice_ids):
    """The bank credits proposed for these invoices and not yet confirmed or dismissed:
    {invoice id: its first such credit (a `BankLineSuggestion`, its `line` read with it)}.

    Money already in the bank for an invoice: collections hold its next step until a
    collector confirms the match (it becomes a payment) or sets it aside."""
    proposed = {}
    suggestions = (
        BankLineSuggestion.objects.filter(
            invoice_id__in=list(invoice_ids), line__status=BankLine.Status.SUGGESTED
        )
        .select_related("line", "invoice")
        .order_by("line__booking_date", "line_id")
    )
    for suggestion in suggestions:
        proposed.setdefault(suggestion.invoice_id, suggestion)
    return proposed


DSO_DAYS = 90


def receivables(*, tenant, today):
    """The company's receivables on `today`: what clients owe on open invoices (`outstanding`,
    `open_count`), what of it is past due (`overdue`, as `overdue_summary`), and the days of
    sales outstanding (`dso`): outstanding over what was invoiced (incl. VAT, after credit
    notes) in the last 90 days, times 90, in whole days; None when nothing was invoiced."""
    owed = open_invoices().filter(tenant=tenant, issue_date__lte=today)
    totals = owed.aggregate(count=Count("pk"), amount=Sum(BALANCE))
    outstanding = totals["amount"] or ZERO
    invoiced = (
        Invoice.objects.filter(
            tenant=tenant,
            kind=Invoice.Kind.INVOICE,
            issue_date__gt=today - timedelta(days=DSO_DAYS),
            issue_date__lte=today,
        ).aggregate(total=Sum(amounts.due()))["total"]
        or ZERO
    )
    dso = None
    if invoiced > 0:
        dso = int((outstanding * DSO_DAYS / invoiced).to_integral_value(rounding=ROUND_HALF_UP))
    return {
        "outstanding": outstanding,
        "open_count": totals["count"],
        "overdue": overdue_summary(tenant=tenant, today=today),
        "dso": dso,
        "dso_days": DSO_DAYS,
    }
