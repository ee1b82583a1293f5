"""Credit insurance's figures for the company's administrator."""

from django.db.models import Sum

from insurance.models import Claim, Cover
from invoices import amounts
from invoices.selectors import open_invoices
from portage.money import ZERO, to_cents

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
    most the whole), over the whole balance: (covered, owed, whole percent or None)."""
    owed = open_invoices().filter(tenant=tenant).aggregate(total=Sum(amounts.balance()))
    owed = owed["total"] or ZERO
    covered = ZERO
    covers = Cover.objects.filter(
        amounts.is_open("invoice__"), tenant=tenant, covered_amount__gt=0
    ).select_related("invoice", "policy")
    for cover in covers:
        invoice = cover.invoice
        base = invoice.total_ttc if cover.policy.covers_vat else invoice.total_ht
        if base > 0:
            covered += invoice.balance * min(1, cover.covered_amount / base)
    covered = to_cents(covered)
    percent = round(covered * 100 / owed) if owed > 0 else None
    return covered, owed, percent


def claims_expected_and_received(*, tenant):
    """What the claims filed with the insurer expect as indemnity, and what it paid."""
    totals = Claim.objects.filter(tenant=tenant, state__in=CLAIMED).aggregate(
        expected=Sum("expected_indemnity"), received=Sum("indemnity_amount")
    )
    return totals["expected"] or ZERO, totals["received"] or ZERO
