"""The credit insurance rules, worked by hand: cover, indemnity, subrogation, premiums, grades."""

from datetime import date
from decimal import Decimal

import pytest

from insurance.rules import (
    Cover,
    Reason,
    Share,
    Terms,
    compute_indemnity,
    covered_basis,
    decide_cover,
    flat_premium_usage,
    normalise_grade,
    regularisation,
    split_payment,
    turnover_premium,
)

D = Decimal

TERMS = Terms(
    covered_share=D("90"),
    deductible_per_claim=D("1500"),
    discretionary_limit=D("10000"),
    max_credit_days=60,
    excluded_categories=frozenset({"public", "individual", "related"}),
    excluded_countries=frozenset({"RU", "BY"}),
)


def cover(**overrides):
    arguments = {
        "terms": TERMS,
        "has_policy": True,
        "client_category": "company",
        "client_country": "FR",
        "credit_days": 30,
        "invoice_amount": D("12000"),
        "exposure_before": D("20000"),
        "limit": D("50000"),
    }
    return decide_cover(**{**arguments, **overrides})


def bare_terms(**overrides):
    """90 % covered, no deductible, no threshold, no aggregate, no maximum."""
    return Terms(**{"covered_share": D("90"), "deductible_per_claim": D("0"), **overrides})


# Cover at issue.


def test_an_invoice_within_the_limit_is_covered_in_full():
    # 20 000 owed + 12 000 = 32 000 ≤ 50 000.
    assert cover() == Cover(D("12000.00"), Reason.COVERED, D("0.00"))


def test_an_invoice_without_a_policy_is_not_covered():
    assert cover(has_policy=False) == Cover(D("0.00"), Reason.NO_POLICY, D("12000.00"))
    assert cover(terms=None, has_policy=False).reason == Reason.NO_POLICY


def test_an_excluded_client_category_is_not_covered():
    assert cover(client_category="public") == Cover(D("0.00"), Reason.CATEGORY, D("12000.00"))


def test_an_excluded_country_is_not_covered_whatever_its_case():
    assert cover(client_country="RU").reason == Reason.COUNTRY
    assert cover(client_country="by").reason == Reason.COUNTRY


def test_a_credit_period_over_the_maximum_is_not_covered_but_the_maximum_is():
    assert cover(credit_days=61) == Cover(D("0.00"), Reason.CREDIT_PERIOD, D("12000.00"))
    assert cover(credit_days=60).reason == Reason.COVERED


def test_the_checks_come_in_order_policy_category_country_credit_period():
    assert cover(has_policy=False, client_category="public").reason == Reason.NO_POLICY
    assert cover(client_category="public", client_country="RU").reason == Reason.CATEGORY
    assert cover(client_country="RU", credit_days=90).reason == Reason.COUNTRY
    assert cover(credit_days=90, limit=D("0")).reason == Reason.CREDIT_PERIOD


def test_a_client_without_a_limit_is_covered_within_the_discretionary_limit():
    # 4 000 owed + 6 000 = 10 000: exactly the discretionary limit, still covered.
    result = cover(limit=None, exposure_before=D("4000"), invoice_amount=D("6000"))
    assert result == Cover(D("6000.00"), Reason.DISCRETIONARY, D("0.00"))


def test_a_client_without_a_limit_over_the_discretionary_limit_is_not_covered():
    # 4 000 owed + 6 000.01 = 10 000.01 > 10 000.
    result = cover(limit=None, exposure_before=D("4000"), invoice_amount=D("6000.01"))
    assert result == Cover(D("0.00"), Reason.NO_LIMIT, D("6000.01"))


def test_a_refused_limit_of_zero_is_not_covered():
    assert cover(limit=D("0"), exposure_before=D("0")) == Cover(
        D("0.00"), Reason.REFUSED, D("12000.00")
    )


def test_a_limit_partly_used_covers_what_it_has_left():
    # Limit 50 000, owed 45 000: 5 000 left of the 12 000 invoice; 7 000 uncovered.
    result = cover(limit=D("50000"), exposure_before=D("45000"), invoice_amount=D("12000"))
    assert result == Cover(D("5000.00"), Reason.PARTIAL, D("7000.00"))


def test_a_limit_already_used_covers_nothing():
    # Limit 50 000, owed 52 000: nothing left.
    result = cover(limit=D("50000"), exposure_before=D("52000"))
    assert result == Cover(D("0.00"), Reason.LIMIT_USED, D("12000.00"))
    assert cover(limit=D("50000"), exposure_before=D("50000")).reason == Reason.LIMIT_USED


def test_covered_and_uncovered_always_add_up_to_the_invoice():
    for n in range(200):
        amount = D(n * 977 % 30011) / 100
        exposure = D(n * 613 % 60007) / 100
        result = cover(invoice_amount=amount, exposure_before=exposure, limit=D("500.00"))
        assert result.covered_amount + result.uncovered_amount == amount
        assert D("0") <= result.covered_amount <= amount


def test_the_cover_basis_is_incl_vat_only_when_the_policy_covers_vat():
    assert covered_basis(terms=TERMS, excl_vat=D("1000"), incl_vat=D("1200")) == D("1000.00")
    with_vat = bare_terms(covers_vat=True)
    assert covered_basis(terms=with_vat, excl_vat=D("1000"), incl_vat=D("1200")) == D("1200.00")


# Indemnity of a claim.


def test_the_indemnity_is_the_base_times_the_covered_share_less_the_deductible():
    # min(60 000 unpaid, 50 000 limit) = 50 000 × 0,9 = 45 000 − 1 500 = 43 500.
    result = compute_indemnity(
        terms=TERMS, lines=[("F-1", D("35000")), ("F-2", D("25000"))], limit=D("50000")
    )
    assert result.amount == D("43500.00")
    assert result.base == D("50000.00")
    assert result.aggregate_used == D("0.00")
    assert result.steps == [
        ("Unpaid covered amount", D("60000.00")),
        ("Credit limit in force", D("50000.00")),
        ("Base: the lower of the two", D("50000.00")),
        ("Covered share 90 %", D("45000.00")),
        ("Deductible per claim", D("-1500.00")),
        ("Indemnity", D("43500.00")),
    ]


def test_without_a_limit_the_base_is_the_unpaid_amount():
    # 20 000 × 0,9 = 18 000 − 1 500 = 16 500.
    result = compute_indemnity(terms=TERMS, lines=[("F-1", D("20000"))], limit=None)
    assert result.base == D("20000.00")
    assert result.amount == D("16500.00")


def test_a_claim_at_the_threshold_pays_nothing_and_one_cent_more_pays():
    terms = bare_terms(claim_threshold=D("5000"))
    at = compute_indemnity(terms=terms, lines=[("F-1", D("5000"))], limit=D("50000"))
    assert at.amount == D("0.00")
    assert at.steps[-2] == (
        "Claim threshold not passed: the base is at or under it",
        D("5000.00"),
    )
    # 5 000.01 × 0,9 = 4 500.009 → 4 500.01.
    over = compute_indemnity(terms=terms, lines=[("F-1", D("5000.01"))], limit=D("50000"))
    assert over.amount == D("4500.01")


def test_the_threshold_is_compared_with_the_base_after_the_limit():
    # Unpaid 8 000 but limit 4 000: base 4 000 ≤ threshold 5 000.
    terms = bare_terms(claim_threshold=D("5000"))
    result = compute_indemnity(terms=terms, lines=[("F-1", D("8000"))], limit=D("4000"))
    assert result.amount == D("0.00")


def test_the_annual_aggregate_makes_the_claim_bear_what_is_left_of_it():
    # Aggregate 10 000, 8 000 already borne: this claim bears 2 000 more.
    # 20 000 × 0,9 = 18 000 − 2 000 = 16 000.
    terms = bare_terms(annual_aggregate_deductible=D("10000"))
    result = compute_indemnity(
        terms=terms,
        lines=[("F-1", D("20000"))],
        limit=D("50000"),
        year_to_date_deductible=D("8000"),
    )
    assert result.amount == D("16000.00")
    assert result.aggregate_used == D("2000.00")
    assert ("Annual aggregate deductible (remaining)", D("2000.00")) in result.steps


def test_an_aggregate_already_borne_takes_nothing_more():
    terms = bare_terms(annual_aggregate_deductible=D("10000"))
    result = compute_indemnity(
        terms=terms,
        lines=[("F-1", D("20000"))],
        limit=None,
        year_to_date_deductible=D("12000"),
    )
    assert result.amount == D("18000.00")
    assert result.aggregate_used == D("0.00")


def test_a_small_claim_is_borne_entirely_under_the_aggregate():
    # 1 000 × 0,9 = 900, 2 000 of aggregate left: the claim bears 900, pays 0.
    terms = bare_terms(annual_aggregate_deductible=D("10000"))
    result = compute_indemnity(
        terms=terms, lines=[("F-1", D("1000"))], limit=None, year_to_date_deductible=D("8000")
    )
    assert result.amount == D("0.00")
    assert result.aggregate_used == D("900.00")


def test_the_per_claim_deductible_comes_before_the_aggregate():
    # 20 000 × 0,9 = 18 000 − 1 500 per claim = 16 500 − 2 000 aggregate left = 14 500.
    terms = bare_terms(deductible_per_claim=D("1500"), annual_aggregate_deductible=D("10000"))
    result = compute_indemnity(
        terms=terms, lines=[("F-1", D("20000"))], limit=None, year_to_date_deductible=D("8000")
    )
    assert result.amount == D("14500.00")
    assert result.aggregate_used == D("2000.00")


def test_the_annual_maximum_caps_the_indemnity():
    # 43 500 computed, maximum 100 000 with 80 000 paid: 20 000 left.
    terms = bare_terms(deductible_per_claim=D("1500"), annual_max_indemnity=D("100000"))
    result = compute_indemnity(
        terms=terms,
        lines=[("F-1", D("60000"))],
        limit=D("50000"),
        year_to_date_indemnity=D("80000"),
    )
    assert result.amount == D("20000.00")
    assert result.steps[-3:] == [
        ("Annual maximum (remaining)", D("20000.00")),
        ("Cut to the annual maximum", D("-23500.00")),
        ("Indemnity", D("20000.00")),
    ]


def test_an_annual_maximum_already_reached_pays_nothing():
    terms = bare_terms(annual_max_indemnity=D("100000"))
    result = compute_indemnity(
        terms=terms, lines=[("F-1", D("1000"))], limit=None, year_to_date_indemnity=D("120000")
    )
    assert result.amount == D("0.00")


def test_the_indemnity_is_never_below_zero():
    # 5 000 × 0,9 = 4 500 − 5 000 deductible → 0, not −500.
    terms = bare_terms(deductible_per_claim=D("5000"))
    result = compute_indemnity(terms=terms, lines=[("F-1", D("5000"))], limit=None)
    assert result.amount == D("0.00")
    assert ("Deductible per claim", D("-4500.00")) in result.steps


def test_the_indemnity_stays_between_zero_and_the_base_times_the_share():
    terms = bare_terms(
        deductible_per_claim=D("250"),
        annual_aggregate_deductible=D("3000"),
        annual_max_indemnity=D("40000"),
        claim_threshold=D("100"),
    )
    for n in range(200):
        unpaid = D(n * 7919 % 90001) / 100
        result = compute_indemnity(
            terms=terms,
            lines=[("F-1", unpaid)],
            limit=D("500.00"),
            year_to_date_deductible=D(n * 31 % 4000),
            year_to_date_indemnity=D(n * 211 % 45000),
        )
        assert D("0") <= result.amount <= result.base * D("0.9") + D("0.01")
        assert D("0") <= result.aggregate_used <= D("3000")


# Subrogation split of a client payment.

LOSS = date(2026, 6, 1)


def test_a_payment_after_the_loss_is_shared_with_the_insurer():
    # 3 000 received after the loss; the insurer indemnified 90 %: 2 700 to it, 300 kept.
    shares = split_payment(
        amount=D("3000"),
        received_on=date(2026, 9, 15),
        loss_date=LOSS,
        balances=[("F-1", date(2026, 3, 31), D("10000"))],
        insurer_share_percent=D("90"),
    )
    assert shares == [Share("F-1", to_company=D("300.00"), to_insurer=D("2700.00"))]


def test_a_payment_on_the_day_of_loss_is_already_shared():
    shares = split_payment(
        amount=D("1000"),
        received_on=LOSS,
        loss_date=LOSS,
        balances=[("F-1", date(2026, 3, 31), D("10000"))],
        insurer_share_percent=D("90"),
    )
    assert shares == [Share("F-1", to_company=D("100.00"), to_insurer=D("900.00"))]


def test_a_payment_before_the_loss_settles_the_oldest_invoices_and_keeps_the_surplus():
    # 3 500 paid: F-OLD (due 31 January) 2 000, then F-NEW (due 28 February) 1 000;
    # 500 left over is an unallocated credit. Nothing goes to the insurer.
    shares = split_payment(
        amount=D("3500"),
        received_on=date(2026, 5, 31),
        loss_date=LOSS,
        balances=[
            ("F-NEW", date(2026, 2, 28), D("1000")),
            ("F-OLD", date(2026, 1, 31), D("2000")),
        ],
        insurer_share_percent=D("90"),
    )
    assert shares == [
        Share("F-OLD", to_company=D("2000.00"), to_insurer=D("0.00")),
        Share("F-NEW", to_company=D("1000.00"), to_insurer=D("0.00")),
        Share(None, to_company=D("500.00"), to_insurer=D("0.00")),
    ]


def test_without_a_loss_the_payment_is_all_the_companys_and_ties_go_by_key():
    # Same due date: F-A before F-B. 1 500 paid: F-A 1 000, F-B 500.
    due = date(2026, 1, 31)
    shares = split_payment(
        amount=D("1500"),
        received_on=date(2026, 9, 1),
        loss_date=None,
        balances=[("F-B", due, D("1000")), ("F-A", due, D("1000"))],
        insurer_share_percent=D("90"),
    )
    assert shares == [
        Share("F-A", to_company=D("1000.00"), to_insurer=D("0.00")),
        Share("F-B", to_company=D("500.00"), to_insurer=D("0.00")),
    ]


def test_the_surplus_after_the_loss_is_not_shared():
    # 1 200 paid on a 1 000 balance: 900 / 100 shared, 200 left to the client.
    shares = split_payment(
        amount=D("1200"),
        received_on=date(2026, 9, 1),
        loss_date=LOSS,
        balances=[("F-1", date(2026, 3, 31), D("1000"))],
        insurer_share_percent=D("90"),
    )
    assert shares == [
        Share("F-1", to_company=D("100.00"), to_insurer=D("900.00")),
        Share(None, to_company=D("200.00"), to_insurer=D("0.00")),
    ]


def test_the_split_rounds_the_insurers_part_and_still_adds_up():
    # 100.01 × 90 % = 90.009 → 90.01 to the insurer, 10.00 to the company.
    shares = split_payment(
        amount=D("100.01"),
        received_on=date(2026, 9, 1),
        loss_date=LOSS,
        balances=[("F-1", date(2026, 3, 31), D("5000"))],
        insurer_share_percent=D("90"),
    )
    assert shares == [Share("F-1", to_company=D("10.00"), to_insurer=D("90.01"))]


def test_every_split_adds_up_to_the_cent():
    balances = [
        ("F-1", date(2026, 1, 31), D("333.33")),
        ("F-2", date(2026, 2, 28), D("1234.56")),
        ("F-3", date(2026, 3, 31), D("0.07")),
    ]
    for n in range(200):
        amount = D(n * 4099 % 200003) / 100
        percent = D(n * 37 % 10001) / 100  # 0 % to 100 %
        shares = split_payment(
            amount=amount,
            received_on=date(2026, 9, 1),
            loss_date=LOSS,
            balances=balances,
            insurer_share_percent=percent,
        )
        assert sum(share.to_company + share.to_insurer for share in shares) == amount
        for share in shares:
            assert share.to_company >= 0
            assert share.to_insurer >= 0
            assert share.to_insurer == (share.to_insurer).quantize(D("0.01"))


# Premiums.


def test_the_turnover_premium_is_the_rate_on_the_turnover_with_a_minimum():
    # 1 000 000 × 0,25 % = 2 500; with a 3 000 minimum: 3 000.
    assert turnover_premium(insurable_turnover=D("1000000"), rate_percent=D("0.25")) == D("2500.00")
    assert turnover_premium(
        insurable_turnover=D("1000000"), rate_percent=D("0.25"), minimum=D("3000")
    ) == D("3000.00")
    # 1 234 567.89 × 0,17 % = 2 098.765413 → 2 098.77.
    assert turnover_premium(insurable_turnover=D("1234567.89"), rate_percent=D("0.17")) == D(
        "2098.77"
    )


def test_the_regularisation_asks_for_the_balance_when_the_deposit_was_short():
    # (300 000 + 400 000 + 500 000) × 0,3 % = 3 600 − 3 000 deposit = 600 to pay.
    result = regularisation(
        declared_turnovers=[D("300000"), D("400000"), D("500000")],
        rate_percent=D("0.3"),
        deposit=D("3000"),
        minimum_premium=D("2000"),
    )
    assert (result.premium_due, result.deposit, result.balance) == (
        D("3600.00"),
        D("3000.00"),
        D("600.00"),
    )


def test_the_regularisation_refunds_a_deposit_above_the_premium():
    # 3 600 due − 4 000 deposit = −400: refunded.
    result = regularisation(
        declared_turnovers=[D("300000"), D("400000"), D("500000")],
        rate_percent=D("0.3"),
        deposit=D("4000"),
        minimum_premium=D("2000"),
    )
    assert result.balance == D("-400.00")


def test_the_regularisation_never_goes_under_the_minimum_premium():
    # 3 600 computed, 5 000 minimum: 5 000 due − 4 000 deposit = 1 000 to pay.
    result = regularisation(
        declared_turnovers=[D("300000"), D("400000"), D("500000")],
        rate_percent=D("0.3"),
        deposit=D("4000"),
        minimum_premium=D("5000"),
    )
    assert (result.premium_due, result.balance) == (D("5000.00"), D("1000.00"))


def test_a_flat_premium_shows_the_share_of_its_ceiling_used():
    # 1 500 000 / 2 000 000 = 75 %; 2 400 000 / 2 000 000 = 120 %, over the ceiling.
    assert flat_premium_usage(
        premium=D("4800"), ceiling=D("2000000"), insurable_turnover=D("1500000")
    ) == (D("4800.00"), D("75.00"), False)
    usage = flat_premium_usage(
        premium=D("4800"), ceiling=D("2000000"), insurable_turnover=D("2400000")
    )
    assert (usage.ceiling_used_percent, usage.over_ceiling) == (D("120.00"), True)
    # Exactly at the ceiling is not over it.
    assert not flat_premium_usage(
        premium=D("4800"), ceiling=D("2000000"), insurable_turnover=D("2000000")
    ).over_ceiling


# Grades.


def test_an_allianz_trade_grade_where_1_is_the_best():
    # Scale 1–10, best low: 1 → 100, 10 → 0, 5 → (1 − 4/9) × 100 = 55.6 → 56.
    assert normalise_grade(1, 1, 10, best_is_high=False) == 100
    assert normalise_grade(10, 1, 10, best_is_high=False) == 0
    assert normalise_grade(5, 1, 10, best_is_high=False) == 56


def test_a_coface_dra_where_10_is_the_best():
    # Scale 0–10, best high: 10 → 100, 0 → 0, 7 → 70.
    assert normalise_grade(10, 0, 10, best_is_high=True) == 100
    assert normalise_grade(0, 0, 10, best_is_high=True) == 0
    assert normalise_grade(7, 0, 10, best_is_high=True) == 70


def test_a_grade_outside_its_scale_or_a_float_is_refused():
    with pytest.raises(ValueError):
        normalise_grade(11, 1, 10, best_is_high=False)
    with pytest.raises(TypeError):
        normalise_grade(2.5, 1, 10, best_is_high=False)


# Terms.


def test_the_terms_refuse_a_covered_share_over_100_and_a_negative_deductible():
    with pytest.raises(ValueError):
        Terms(covered_share=D("101"), deductible_per_claim=D("0"))
    with pytest.raises(ValueError):
        Terms(covered_share=D("90"), deductible_per_claim=D("-1"))
