"""The aging balance of receivables (balance âgée clients) and the DSO (délai moyen de
recouvrement clients, Days Sales Outstanding): reads for the collectors.

An open invoice is an issued invoice (not a credit note) with status issued or partially
paid and a balance (total incl. VAT − paid − credited) above zero. Its days late are
`today − due date`; it falls in one of five buckets. Every figure is summed by PostgreSQL
with conditional aggregation, one row per client.

Given a day other than today, the balance shows the amounts still owed now on the invoices
issued by that day, aged as of that day: payments and credit notes are not rewound.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Min, Q, Sum
from django.utils.translation import gettext_lazy as _

from invoices import amounts, selectors
from invoices.models import Client, Invoice
from portage.money import ZERO

ONE_PLACE = Decimal("0.1")


@dataclass(frozen=True)
class Bucket:
    """Invoices `low` to `high` days late, both included; None is open-ended."""

    key: str
    label: str
    low: int | None
    high: int | None

    def condition(self, today):
        """The bucket as a condition on the due date (days late = today − due date)."""
        condition = Q()
        if self.low is not None:
            condition &= Q(due_date__lte=today - timedelta(days=self.low))
        if self.high is not None:
            condition &= Q(due_date__gte=today - timedelta(days=self.high))
        if self.low is None:
            condition |= Q(due_date__isnull=True)
        return condition


BUCKETS = (
    Bucket("not_due", _("Not due"), None, 0),
    Bucket("days_1_30", _("1–30 days"), 1, 30),
    Bucket("days_31_60", _("31–60 days"), 31, 60),
    Bucket("days_61_90", _("61–90 days"), 61, 90),
    Bucket("over_90", _("> 90 days"), 91, None),
)


@dataclass(frozen=True)
class AgingRow:
    """One client's open balance, split by bucket (in the order of BUCKETS)."""

    client: Client | None
    amounts: tuple
    total: Decimal
    oldest_days_late: int


@dataclass(frozen=True)
class AgingBalance:
    today: date
    rows: list
    totals: AgingRow

    @property
    def overdue(self):
        """What is past due: everything but the first bucket (not due)."""
        return sum(self.totals.amounts[1:], ZERO)

    @property
    def percents(self):
        """Each bucket's share of the total, in percent with one decimal place."""
        total = self.totals.total
        if not total:
            return tuple(ZERO for _bucket in BUCKETS)
        return tuple(
            (amount * 100 / total).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)
            for amount in self.totals.amounts
        )

    @property
    def buckets(self):
        """(bucket, amount, percent) for each bucket, for the page and its chart."""
        return list(zip(BUCKETS, self.totals.amounts, self.percents, strict=True))


def open_invoices(today, *, consultant=None, client=None):
    """The open invoices issued by `today` (a balance above zero), optionally of one
    consultant or one client."""
    invoices = (
        selectors.open_invoices()
        .alias(owed=amounts.balance())
        .filter(issue_date__lte=today, owed__gt=0)
    )
    if consultant is not None:
        invoices = invoices.filter(consultant=consultant)
    if client is not None:
        invoices = invoices.filter(client=client)
    return invoices


def _days_late(today, oldest_due):
    return max((today - oldest_due).days, 0) if oldest_due else 0


def aging_balance(today, *, consultant=None, client=None):
    """The aging balance on `today`: one row per client with an open balance, the largest
    total first, and the totals row."""
    sums = {
        bucket.key: Sum(amounts.balance(), filter=bucket.condition(today), default=ZERO)
        for bucket in BUCKETS
    }
    per_client = list(
        open_invoices(today, consultant=consultant, client=client)
        .values("client")
        .annotate(total=Sum(amounts.balance()), oldest_due=Min("due_date"), **sums)
        .order_by("-total", "client")
    )
    clients = Client.objects.in_bulk([values["client"] for values in per_client])
    rows = [
        AgingRow(
            client=clients[values["client"]],
            amounts=tuple(values[bucket.key] for bucket in BUCKETS),
            total=values["total"],
            oldest_days_late=_days_late(today, values["oldest_due"]),
        )
        for values in per_client
    ]
    totals = AgingRow(
        client=None,
        amounts=tuple(
            sum((row.amounts[index] for row in rows), ZERO) for index in range(len(BUCKETS))
        ),
        total=sum((row.total for row in rows), ZERO),
        oldest_days_late=max((row.oldest_days_late for row in rows), default=0),
    )
    return AgingBalance(today=today, rows=rows, totals=totals)


def dso(today, days=90, *, consultant=None, client=None):
    """Days Sales Outstanding (DSO, délai moyen de recouvrement clients), simple method:

        DSO = receivables outstanding on `today` / sales invoiced over the last `days` days
              × `days`

    Receivables are the open balances incl. VAT of the aging balance. Sales are the
    invoices incl. VAT issued in the window (`today − days`, `today`], less the credit notes
    issued in that window. Returns a Decimal with one decimal place, or None when nothing
    was invoiced in the window.
    """
    outstanding = open_invoices(today, consultant=consultant, client=client).aggregate(
        total=Sum(amounts.balance(), default=ZERO)
    )["total"]
    window = Invoice.objects.exclude(status=Invoice.Status.DRAFT).filter(
        issue_date__gt=today - timedelta(days=days), issue_date__lte=today
    )
    if consultant is not None:
        window = window.filter(consultant=consultant)
    if client is not None:
        window = window.filter(client=client)
    sales = window.aggregate(
        invoiced=Sum("total_ttc", filter=Q(kind=Invoice.Kind.INVOICE), default=ZERO),
        credited=Sum("total_ttc", filter=Q(kind=Invoice.Kind.CREDIT_NOTE), default=ZERO),
    )
    invoiced = sales["invoiced"] - sales["credited"]
    if invoiced <= 0:
        return None
    return (outstanding / invoiced * days).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


# The CSV is a French document (for French Excel): French headers, decimal comma.
CSV_HEADER = [
    "Client",
    "SIREN",
    "Non échu",
    "1-30 j",
    "31-60 j",
    "61-90 j",
    "> 90 j",
    "Total",
    "Retard max (j)",
]


def _decimal_comma(amount):
    return f"{amount:.2f}".replace(".", ",")


def aging_csv_rows(today, *, consultant=None, client=None):
    """The aging balance as CSV rows of text: the header, one row per client, the totals."""
    balance = aging_balance(today, consultant=consultant, client=client)
    rows = [CSV_HEADER]
    for row in [*balance.rows, balance.totals]:
        rows.append(
            [
                row.client.legal_name if row.client else "Total",
                row.client.siren if row.client else "",
                *(_decimal_comma(amount) for amount in row.amounts),
                _decimal_comma(row.total),
                str(row.oldest_days_late),
            ]
        )
    return rows
