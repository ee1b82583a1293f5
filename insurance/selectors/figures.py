"""Credit insurance's figures for the company's administrator."""

from decimal import Decimal

from django.db.models import Case, DecimalField, F, Sum, Value, When
from django.db.models.functions import Least

from insurance.models import Claim, Cover
from invoices import amounts
from invoices.selectors import open_invoices
from portage.money import ZERO, to_cents

ONE = Decimal(1)
# A share of an amount, unrounded (summed over the covers, then rounded to the cent once).
RATIO = DecimalField()

# Claims the insurer has in hand, or has settled: what it was asked for and what it paid.
CLAIMED = (
    Claim.State.FILED,
    Claim.State.ACKNOWLEDGED,
    Claim.State.INDEMNIFIED,
    Claim.State.PARTIAL,
)


def insured_share(*, tenant):
    """How much of what clients owe (incl. VAT, open invoices) credit insurance covers: each
    covered invoice's balance times its cover's share of the invoice (the covered amount
    over the invoice's total incl. VAT, or excl. VAT when the policy covers excl. VAT, at
    most the whole), over the whole balance: (covered, owed, whole percent or None). Summed
    by the database, the covered total rounded to the cent once."""
    owed = open_invoices().filter(tenant=tenant).aggregate(total=Sum(amounts.balance()))
    owed = owed["total"] or ZERO
    base = Case(
        When(policy__covers_vat=True, then=F("invoice__total_ttc")),
        default=F("invoice__total_ht"),
    )
    share = Least(Value(ONE), F("covered_amount") / base, output_field=RATIO)
    covered = (
        Cover.objects.filter(amounts.is_open("invoice__"), tenant=tenant, covered_amount__gt=0)
        .alias(base=base)
        .filter(base__gt=0)
        .aggregate(total=Sum(amounts.balance("invoice__") * share, output_field=RATIO))
    )
    covered = to_cents(covered["total"] or ZERO)
    percent = round(covered * 100 / owed) if owed > 0 else None
    return covered, owed, percent


def claims_expected_and_received(*, tenant):
    """What the claims filed with the insurer expect as indemnity, and what it paid."""
    totals = Claim.objects.filter(tenant=tenant, state__in=CLAIMED).aggregate(
        expected=Sum("expected_indemnity"), received=Sum("indemnity_amount")
    )
    return totals["expected"] or ZERO, totals["received"] or ZERO
