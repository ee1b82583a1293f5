"""Property-based checks (hypothesis) of the money computations: whatever the amounts, they
reconcile to the cent. Pure functions, no database."""

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from dunning.penalties import late_penalty
from insurance.rules import IndemnifiedInvoice, Terms, compute_indemnity, share_recovery
from invoices.services.payments import split_over_invoices
from invoices.totals import compute_totals, line_total
from portage.money import ZERO, to_cents

CENT = Decimal("0.01")
# Enough cases to find a rounding edge; no deadline, the machine is shared.
examples = settings(max_examples=200, deadline=None)


def cents(low="0.00", high="1000000.00"):
    return st.decimals(min_value=Decimal(low), max_value=Decimal(high), places=2)


def percents(low="0", high="100"):
    return st.decimals(min_value=Decimal(low), max_value=Decimal(high), places=2)


VAT_RATES = st.sampled_from(
    [Decimal("0"), Decimal("2.1"), Decimal("5.5"), Decimal("10"), Decimal("20")]
)
LINES = st.lists(
    st.tuples(
        st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999.99"), places=2),
        cents("0.01", "99999.99"),
        VAT_RATES,
    ),
    min_size=1,
    max_size=12,
)
DAYS = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))


def is_cents(amount):
    return amount == amount.quantize(CENT)


@examples
@given(LINES)
def test_invoice_totals_add_up_per_rate_and_overall(rows):
    lines = [
        SimpleNamespace(total_ht=line_total(quantity=q, unit_price=p), vat_rate=rate)
        for q, p, rate in rows
    ]
    totals = compute_totals(lines)
    assert totals.ht == sum(line.total_ht for line in lines)
    assert totals.ttc == totals.ht + totals.vat
    assert totals.vat == sum(amount for _rate, _base, amount in totals.vat_breakdown)
    for rate, base, amount in totals.vat_breakdown:
        assert base == sum(line.total_ht for line in lines if line.vat_rate == rate)
        assert abs(amount - base * rate / 100) <= Decimal("0.005")
    assert all(is_cents(value) for value in (totals.ht, totals.vat, totals.ttc))


@examples
@given(amount=cents("0.00", "500000.00"), balances=st.lists(cents("0.00", "100000.00"), max_size=8))
def test_a_payment_spread_over_invoices_never_exceeds_a_balance_nor_the_payment(amount, balances):
    invoices = [
        SimpleNamespace(
            pk=index, balance=balance, due_date=date(2026, 1, 1) + timedelta(days=index)
        )
        for index, balance in enumerate(balances)
    ]
    parts = split_over_invoices(amount, invoices)
    assert all(ZERO < part <= invoice.balance for invoice, part in parts)
    assert sum((part for _invoice, part in parts), ZERO) == min(amount, sum(balances, ZERO))
    settled = [invoice.pk for invoice, _part in parts]
    assert settled == sorted(settled)  # oldest due first


@st.composite
def indemnified_invoices(draw):
    """An invoice indemnified after a claim: its totals, what was unpaid when claimed, and
    an indemnity up to that amount on the basis the policy covers."""
    excl_vat = draw(cents("0.01", "100000.00"))
    incl_vat = excl_vat + to_cents(excl_vat * draw(VAT_RATES) / 100)
    covers_vat = draw(st.booleans())
    claimed = draw(cents("0.01", str(incl_vat)))
    basis = claimed if covers_vat else to_cents(claimed * excl_vat / incl_vat)
    indemnity = draw(cents("0.00", str(basis)))
    return IndemnifiedInvoice(
        excl_vat=excl_vat,
        incl_vat=incl_vat,
        covers_vat=covers_vat,
        claimed=claimed,
        indemnity=indemnity,
        loss_date=date(2026, 6, 1),
    )


@examples
@given(invoice=indemnified_invoices(), payments=st.lists(cents("0.01", "50000.00"), max_size=12))
def test_partial_recoveries_never_give_the_insurer_more_than_its_indemnity(invoice, payments):
    """Whatever the payments after the indemnity: each splits to the cent, the insurer never
    gets in all more than it paid, the company keeps every payment's VAT when the policy
    covers amounts excl. VAT, and once what was claimed is recovered the insurer has its
    whole indemnity back."""
    received = invoice.loss_date
    for amount in payments:
        share = share_recovery(invoice=invoice, amount=amount, received_on=received)
        assert share.to_insurer + share.to_company == amount
        assert share.to_insurer >= ZERO and share.to_company >= ZERO
        assert is_cents(share.to_insurer) and is_cents(share.to_company)
        if not invoice.covers_vat:
            assert share.to_company >= share.vat
        invoice = replace(
            invoice,
            recovered=invoice.recovered + amount,
            to_insurer=invoice.to_insurer + share.to_insurer,
        )
        assert invoice.to_insurer <= invoice.indemnity
    recovered = invoice.recovered
    if not invoice.covers_vat:
        vat = recovered - to_cents(recovered * invoice.excl_vat / invoice.incl_vat)
        assert recovered - invoice.to_insurer >= vat
    if recovered >= invoice.claimed:
        assert invoice.to_insurer == invoice.indemnity


@examples
@given(balance=cents(), rate=percents("0", "30"), due=DAYS, late=st.integers(0, 2000))
def test_late_penalties_follow_the_legal_formula_to_the_cent(balance, rate, due, late):
    on = due + timedelta(days=late)
    penalty = late_penalty(balance, rate, due, on)
    assert is_cents(penalty) and penalty >= ZERO
    assert penalty == to_cents(balance * rate / 100 * late / 365)
    assert late_penalty(balance, rate, due, on + timedelta(days=1)) >= penalty
    assert late_penalty(balance, rate, due, due) == ZERO


@examples
@given(
    unpaid=st.lists(cents("0.00", "200000.00"), min_size=1, max_size=5),
    limit=st.one_of(st.none(), cents("0.00", "300000.00")),
    share=percents("50", "100"),
    deductible=cents("0.00", "5000.00"),
    threshold=cents("0.00", "2000.00"),
    aggregate=st.one_of(st.none(), cents("0.00", "20000.00")),
    aggregate_used=cents("0.00", "20000.00"),
    maximum=st.one_of(st.none(), cents("0.00", "400000.00")),
    paid_this_year=cents("0.00", "400000.00"),
)
def test_an_indemnity_stays_within_the_cover_and_the_annual_caps(
    unpaid, limit, share, deductible, threshold, aggregate, aggregate_used, maximum, paid_this_year
):
    terms = Terms(
        covered_share=share,
        deductible_per_claim=deductible,
        claim_threshold=threshold,
        annual_aggregate_deductible=aggregate,
        annual_max_indemnity=maximum,
    )
    indemnity = compute_indemnity(
        terms=terms,
        lines=[(f"F{index}", amount) for index, amount in enumerate(unpaid)],
        limit=limit,
        year_to_date_deductible=aggregate_used,
        year_to_date_indemnity=paid_this_year,
    )
    base = min(sum(unpaid, ZERO), limit) if limit is not None else sum(unpaid, ZERO)
    amount = indemnity.amount
    assert is_cents(amount) and amount >= ZERO
    assert indemnity.base == base
    assert amount <= to_cents(base * share / 100)
    if base <= threshold:
        assert amount == ZERO
    if maximum is not None:
        assert amount <= max(ZERO, maximum - paid_this_year)
    if aggregate is None and maximum is None and base > threshold:
        assert amount == max(ZERO, to_cents(base * share / 100) - deductible)
