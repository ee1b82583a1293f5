"""The credit insurance rules, worked by hand: cover, indemnity, subrogation, premiums, grades."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from insurance.rules import (
    Cover,
    IndemnifiedInvoice,
    Reason,
    RecoveryShare,
    Terms,
    compute_indemnity,
    covered_basis,
    decide_cover,
    flat_premium_usage,
    normalise_grade,
    regularisation,
    share_recovery,
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


# Subrogation: a client's payment after the indemnity, shared with the insurer.

PAID = date(2026, 9, 1)

# Invoice 6 000 HT / 7 200 TTC, all of it unpaid when claimed, covered excl. VAT:
# 6 000 × 90 % − 500 deductible = 4 900 paid by the insurer, 4 900 / 6 000 of the loss.
INDEMNIFIED = IndemnifiedInvoice(
    excl_vat=D("6000.00"),
    incl_vat=D("7200.00"),
    covers_vat=False,
    claimed=D("7200.00"),
    indemnity=D("4900.00"),
    loss_date=PAID,
)


def recover(invoice, *amounts, received_on=PAID):
    """The shares of payments received one after the other on the invoice."""
    shares = []
    for amount in amounts:
        share = share_recovery(invoice=invoice, amount=D(amount), received_on=received_on)
        shares.append(share)
        invoice = replace(
            invoice,
            recovered=invoice.recovered + D(amount),
            to_insurer=invoice.to_insurer + share.to_insurer,
        )
    return shares


def test_the_whole_balance_recovered_gives_the_insurer_back_its_indemnity_and_no_more():
    # 7 200 TTC = 6 000 HT + 1 200 VAT. The insurer: 6 000 × 4 900 / 6 000 = 4 900, what it
    # paid (not 7 200 × 81,67 % = 5 880). The company: 1 200 VAT + the 1 100 it bore.
    assert recover(INDEMNIFIED, "7200.00") == [
        RecoveryShare(to_insurer=D("4900.00"), to_company=D("2300.00"), vat=D("1200.00"))
    ]


def test_partial_recoveries_share_each_payment_and_add_up_to_the_indemnity():
    # 1 200 TTC = 1 000 HT: 1 000 × 4 900 / 6 000 = 816,666… → 816,67.
    # Then 2 400: 3 600 recovered = 3 000 HT → 2 450,00 in all, 2 450 − 816,67 = 1 633,33.
    # Then 3 600: 7 200 = 6 000 HT → 4 900 in all, 4 900 − 2 450 = 2 450,00.
    assert recover(INDEMNIFIED, "1200.00", "2400.00", "3600.00") == [
        RecoveryShare(to_insurer=D("816.67"), to_company=D("383.33"), vat=D("200.00")),
        RecoveryShare(to_insurer=D("1633.33"), to_company=D("766.67"), vat=D("400.00")),
        RecoveryShare(to_insurer=D("2450.00"), to_company=D("1150.00"), vat=D("600.00")),
    ]


def test_rounding_never_loses_nor_gains_a_cent_over_many_payments():
    # Three payments of 2 400 TTC (2 000 HT each). Rounded on the running total: 1 633,33
    # (2 000 × 0,8166…), then 3 266,67 − 1 633,33 = 1 633,34, then 4 900 − 3 266,67 =
    # 1 633,33: 4 900,00 in all, where rounding each payment alone would give 4 899,99.
    shares = recover(INDEMNIFIED, "2400.00", "2400.00", "2400.00")
    assert [share.to_insurer for share in shares] == [D("1633.33"), D("1633.34"), D("1633.33")]
    assert sum(share.to_insurer for share in shares) == D("4900.00")


def test_once_the_indemnity_is_recovered_the_insurer_gets_nothing_more():
    # The whole 7 200 claimed was recovered; 500 more (the late penalties, say) is the
    # company's.
    done = replace(INDEMNIFIED, recovered=D("7200.00"), to_insurer=D("4900.00"))
    assert recover(done, "500.00") == [
        RecoveryShare(to_insurer=D("0.00"), to_company=D("500.00"), vat=D("83.33"))
    ]


def test_a_payment_received_before_the_indemnity_is_all_the_company_s():
    day_before = date(2026, 8, 31)
    assert recover(INDEMNIFIED, "1200.00", received_on=day_before) == [
        RecoveryShare(to_insurer=D("0.00"), to_company=D("1200.00"), vat=D("200.00"))
    ]


def test_a_policy_covering_vat_shares_the_payment_incl_vat():
    # Covered incl. VAT: 7 200 × 90 % − 500 = 5 980 paid, 5 980 / 7 200 of the loss.
    # 3 600 recovered: 3 600 × 5 980 / 7 200 = 2 990,00; the whole 7 200: 5 980.
    covering_vat = replace(INDEMNIFIED, covers_vat=True, indemnity=D("5980.00"))
    assert [share.to_insurer for share in recover(covering_vat, "3600.00", "3600.00")] == [
        D("2990.00"),
        D("2990.00"),
    ]


def test_the_insurer_shares_in_proportion_to_the_loss_it_bore_not_to_its_quotite():
    # Invoice 10 000 HT / 12 000 TTC, the limit capped the base at 5 000: the insurer paid
    # 5 000 × 90 % = 4 500 of a 10 000 HT loss, 45 %. Half the invoice recovered (6 000 TTC
    # = 5 000 HT): 5 000 × 45 % = 2 250 to the insurer (90 % of it would be 5 400, more
    # than it paid); the rest, 3 750 with the 1 000 VAT, to the company.
    capped = IndemnifiedInvoice(
        excl_vat=D("10000.00"),
        incl_vat=D("12000.00"),
        covers_vat=False,
        claimed=D("12000.00"),
        indemnity=D("4500.00"),
        loss_date=PAID,
    )
    assert recover(capped, "6000.00", "6000.00") == [
        RecoveryShare(to_insurer=D("2250.00"), to_company=D("3750.00"), vat=D("1000.00")),
        RecoveryShare(to_insurer=D("2250.00"), to_company=D("3750.00"), vat=D("1000.00")),
    ]


def test_a_payment_partly_claimed_earlier_shares_only_what_was_claimed():
    # 7 200 claimed, 6 000 already recovered (4 083,33 to the insurer). 2 000 arrives:
    # 1 200 of it completes what was claimed (7 200 = 6 000 HT → 4 900 in all, 816,67 more),
    # the other 800 is the company's.
    late = replace(INDEMNIFIED, recovered=D("6000.00"), to_insurer=D("4083.33"))
    (share,) = recover(late, "2000.00")
    assert (share.to_insurer, share.to_company) == (D("816.67"), D("1183.33"))


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
