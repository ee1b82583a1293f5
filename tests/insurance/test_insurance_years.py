"""The annual maximum indemnity and the annual aggregate deductible apply per insurance year
(the periods between the anniversaries of the policy's start), not over the policy's whole
life; a claim counts in the year of the day it was opened. Figures worked by hand."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from insurance.models import Claim
from insurance.rules import insurance_year, insurance_years
from insurance.selectors import insurance_year_use
from insurance.services.batch import run_insurance
from insurance.services.claims import claim_close, claim_file, claim_indemnify
from portage.batch import paris_today
from tests.factories import make_client, make_invoice
from tests.insurance.test_cover_and_claims import grant, make_policy

D = Decimal


# The insurance years of a policy


def test_a_policy_of_two_years_has_two_insurance_years_from_its_start_date():
    assert insurance_years(starts_on=date(2026, 4, 1), ends_on=date(2028, 3, 31)) == [
        (date(2026, 4, 1), date(2027, 3, 31)),
        (date(2027, 4, 1), date(2028, 3, 31)),
    ]


def test_the_last_insurance_year_is_cut_at_the_policy_s_end():
    assert insurance_years(starts_on=date(2026, 1, 1), ends_on=date(2027, 6, 30)) == [
        (date(2026, 1, 1), date(2026, 12, 31)),
        (date(2027, 1, 1), date(2027, 6, 30)),
    ]


def test_a_policy_starting_on_29_february_has_its_anniversary_on_the_28th():
    assert insurance_years(starts_on=date(2024, 2, 29), ends_on=date(2028, 2, 28)) == [
        (date(2024, 2, 29), date(2025, 2, 27)),
        (date(2025, 2, 28), date(2026, 2, 27)),
        (date(2026, 2, 28), date(2027, 2, 27)),
        (date(2027, 2, 28), date(2028, 2, 28)),
    ]


def test_a_day_falls_in_its_insurance_year_and_a_day_after_the_end_in_the_last_one():
    policy = {"starts_on": date(2026, 4, 1), "ends_on": date(2028, 3, 31)}
    assert insurance_year(**policy, day=date(2027, 3, 31)) == (date(2026, 4, 1), date(2027, 3, 31))
    assert insurance_year(**policy, day=date(2027, 4, 1)) == (date(2027, 4, 1), date(2028, 3, 31))
    assert insurance_year(**policy, day=date(2028, 9, 1)) == (date(2027, 4, 1), date(2028, 3, 31))
    with pytest.raises(ValueError):
        insurance_year(**policy, day=date(2026, 3, 31))


# Claims against the year's limits


def unpaid_invoice(tenant, policy, issued_on):
    """A client with a 50 000 limit and one unpaid invoice of 6 000 HT / 7 200 TTC, due 30
    days after it was issued."""
    client = make_client(tenant)
    grant(tenant, client, policy, "50000.00", on=policy.starts_on)
    return make_invoice(tenant, client=client, issued_on=issued_on)


def two_year_policy(tenant):
    """1 January 2026 to 31 December 2027: quotité 90 %, no deductible per claim, an annual
    aggregate deductible of 1 000 and an annual maximum of 8 000; 150 days of waiting."""
    return make_policy(
        tenant,
        starts_on=date(2026, 1, 1),
        ends_on=date(2027, 12, 31),
        deductible_per_claim=D("0"),
        annual_aggregate_deductible=D("1000.00"),
        annual_max_indemnity=D("8000.00"),
    )


def claim_of(invoice):
    return Claim.objects.get(lines__invoice=invoice)


@pytest.mark.django_db
def test_the_second_insurance_year_starts_with_both_counters_at_zero(tenant_a, in_tenant):
    """Year 2026. Claim A (due 1 April, opened 29 August): 6 000 × 90 % = 5 400, the
    aggregate deductible takes its 1 000 → 4 400. Claim B (due 3 June, opened 31 October):
    5 400, nothing left of the aggregate; 8 000 − 4 400 = 3 600 left of the maximum → 3 600.
    The year has used its whole maximum (8 000) and its whole aggregate (1 000).
    Year 2027. Claim C (invoice of 1 October 2026, due 31 October 2026, opened 30 March
    2027): the aggregate is whole again → 5 400 − 1 000 = 4 400, under a whole maximum of
    8 000. Counted over the policy's life it would have paid 0."""
    policy = two_year_policy(tenant_a)
    first = unpaid_invoice(tenant_a, policy, date(2026, 3, 2))
    second = unpaid_invoice(tenant_a, policy, date(2026, 5, 4))
    third = unpaid_invoice(tenant_a, policy, date(2026, 10, 1))
    with in_tenant(tenant_a):
        run_insurance(tenant=tenant_a, today=date(2026, 8, 29))
        run_insurance(tenant=tenant_a, today=date(2026, 10, 31))
        run_insurance(tenant=tenant_a, today=date(2027, 3, 30))
        a, b, c = claim_of(first), claim_of(second), claim_of(third)
        year_2026 = insurance_year_use(policy, date(2026, 12, 31))
        year_2027 = insurance_year_use(policy, date(2027, 1, 1))
    assert (a.opened_on, a.expected_indemnity, a.aggregate_used) == (
        date(2026, 8, 29),
        D("4400.00"),
        D("1000.00"),
    )
    assert (b.opened_on, b.expected_indemnity, b.aggregate_used) == (
        date(2026, 10, 31),
        D("3600.00"),
        D("0.00"),
    )
    assert ("Cut to the annual maximum", "-1800.00") in [tuple(step) for step in b.computation]
    assert (c.opened_on, c.expected_indemnity, c.aggregate_used) == (
        date(2027, 3, 30),
        D("4400.00"),
        D("1000.00"),
    )
    assert (year_2026.claims, year_2026.indemnity_used, year_2026.max_left) == (
        2,
        D("8000.00"),
        D("0.00"),
    )
    assert (year_2026.deductible_borne, year_2026.aggregate_left) == (D("1000.00"), D("0.00"))
    assert (year_2027.starts_on, year_2027.ends_on) == (date(2027, 1, 1), date(2027, 12, 31))
    assert (year_2027.claims, year_2027.indemnity_used, year_2027.max_left) == (
        1,
        D("4400.00"),
        D("3600.00"),
    )


@pytest.mark.django_db
def test_claims_the_same_run_opens_count_in_each_other_s_year(tenant_a, in_tenant):
    """Two clients' invoices due 1 April 2026, both claimed on 29 August by one run: the
    first takes the aggregate deductible (5 400 − 1 000 = 4 400), the second finds it used
    and 3 600 left of the maximum (5 400 cut to 3 600), as on two separate days."""
    policy = two_year_policy(tenant_a)
    invoices = [unpaid_invoice(tenant_a, policy, date(2026, 3, 2)) for _ in range(2)]
    with in_tenant(tenant_a):
        assert run_insurance(tenant=tenant_a, today=date(2026, 8, 29)).claims == 2
        claims = list(Claim.objects.order_by("id"))
        year = insurance_year_use(policy, date(2026, 8, 29))
    assert {claim.client_id for claim in claims} == {invoice.client_id for invoice in invoices}
    assert [(claim.expected_indemnity, claim.aggregate_used) for claim in claims] == [
        (D("4400.00"), D("1000.00")),
        (D("3600.00"), D("0.00")),
    ]
    assert [claim.limit_amount for claim in claims] == [D("50000.00")] * 2
    assert (year.claims, year.indemnity_used, year.deductible_borne) == (
        2,
        D("8000.00"),
        D("1000.00"),
    )


@pytest.mark.django_db
def test_paid_indemnities_count_as_paid_and_open_claims_as_expected(tenant_a, in_tenant, member):
    """Claim A is paid 4 000 (less than the 4 400 expected: a partial indemnity); claim B
    (3 600) is still open. The year has used 4 000 paid + 3 600 expected = 7 600: 400 left."""
    policy = two_year_policy(tenant_a)
    collector = member(tenant_a, "collector").user
    first = unpaid_invoice(tenant_a, policy, date(2026, 3, 2))
    second = unpaid_invoice(tenant_a, policy, date(2026, 5, 4))
    with in_tenant(tenant_a):
        run_insurance(tenant=tenant_a, today=date(2026, 8, 29))
        run_insurance(tenant=tenant_a, today=date(2026, 10, 31))
        a = claim_file(claim=claim_of(first), actor=collector, filed_on=date(2026, 11, 2))
        claim_indemnify(
            claim=a,
            actor=collector,
            amount=D("4000.00"),
            paid_on=date(2026, 12, 1),
            today=date(2026, 12, 1),
        )
        year = insurance_year_use(policy, date(2026, 12, 1))
        assert claim_of(second).expected_indemnity == D("3600.00")
    assert (year.indemnity_paid, year.indemnity_expected, year.max_left) == (
        D("4000.00"),
        D("3600.00"),
        D("400.00"),
    )


@pytest.mark.django_db
def test_a_claim_closed_without_an_indemnity_uses_nothing_of_the_year(tenant_a, in_tenant, member):
    """Claim A (4 400 expected, 1 000 of aggregate) is closed before anything is paid: the
    client paid. Claim B then bears the aggregate: 5 400 − 1 000 = 4 400."""
    policy = two_year_policy(tenant_a)
    collector = member(tenant_a, "collector").user
    first = unpaid_invoice(tenant_a, policy, date(2026, 3, 2))
    second = unpaid_invoice(tenant_a, policy, date(2026, 5, 4))
    with in_tenant(tenant_a):
        run_insurance(tenant=tenant_a, today=date(2026, 8, 29))
        claim_close(claim=claim_of(first), actor=collector)
        run_insurance(tenant=tenant_a, today=date(2026, 10, 31))
        b = claim_of(second)
        year = insurance_year_use(policy, date(2026, 10, 31))
    assert (b.expected_indemnity, b.aggregate_used) == (D("4400.00"), D("1000.00"))
    assert (year.claims, year.indemnity_used, year.deductible_borne) == (
        1,
        D("4400.00"),
        D("1000.00"),
    )


# The policy page

TODAY = paris_today()


@pytest.mark.django_db
def test_the_policy_page_shows_what_the_current_insurance_year_used(
    signed_in, admin_a, tenant_a, in_tenant
):
    """A policy started 400 days ago, for two years: its second year is the current one.
    Last year: one claim paid 5 000. This year: one claim paid 2 500 and one expected 1 200,
    which bore 300 of the 1 000 aggregate: 3 700 used, 6 300 left of the 10 000 maximum."""
    start = TODAY - timedelta(days=400)
    policy = make_policy(
        tenant_a,
        starts_on=start,
        ends_on=insurance_years(starts_on=start, ends_on=start + timedelta(days=800))[1][1],
        annual_max_indemnity=D("10000.00"),
        annual_aggregate_deductible=D("1000.00"),
    )
    second_year = insurance_year(starts_on=policy.starts_on, ends_on=policy.ends_on, day=TODAY)
    client = make_client(tenant_a)

    def claim(opened_on, state, expected, paid=None, aggregate="0"):
        Claim.objects.create(
            tenant=tenant_a,
            client=client,
            policy=policy,
            state=state,
            opened_on=opened_on,
            unpaid_covered=D("10000.00"),
            expected_indemnity=D(expected),
            indemnity_amount=None if paid is None else D(paid),
            aggregate_used=D(aggregate),
        )

    with in_tenant(tenant_a):
        claim(start + timedelta(days=10), "indemnified", "5000.00", paid="5000.00")
        claim(second_year[0], "indemnified", "2500.00", paid="2500.00", aggregate="300.00")
        claim(TODAY, "filed", "1200.00")
    response = signed_in(admin_a).get(reverse("insurance_policy_detail", args=[policy.pk]))
    assert response.status_code == 200
    current = response.context["current_year"]
    assert (current.starts_on, current.ends_on) == second_year
    assert (current.claims, current.indemnity_paid, current.indemnity_expected) == (
        2,
        D("2500.00"),
        D("1200.00"),
    )
    assert (current.max_left, current.deductible_borne, current.aggregate_left) == (
        D("6300.00"),
        D("300.00"),
        D("700.00"),
    )
    first = response.context["years"][0]
    assert (first.indemnity_paid, first.max_left) == (D("5000.00"), D("5000.00"))
    page = response.content.decode()
    assert "Année d'assurance en cours" in page
    for figure in ("3\u202f700,00\u00a0€", "6\u202f300,00\u00a0€", "700,00\u00a0€"):
        assert figure in page
