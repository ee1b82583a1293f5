"""A policy's terms that are numbers are never negative, and a percentage stays within
0–100: refused next to the field on the policy page, answered 400 on the field by the API,
and refused by the database itself."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from insurance.models import AMOUNT_TERMS, DAYS_TERMS, PERCENT_TERMS, InsurancePolicy
from portage.models import AuditEntry
from portage.tenancy import PLATFORM_DB, tenant_context
from tests.helpers import api, caller, key_for
from tests.insurance.api_world import insured_claim
from tests.insurance.test_admin_pages import make_insurer, make_policy, policy_post

D = Decimal

NEGATIVE = {
    **{name: "-1" for name in AMOUNT_TERMS},
    **{name: "-1" for name in DAYS_TERMS},
    "premium_rate": "-0.1",
    "covered_share": "-5",
}


@pytest.mark.django_db
def test_every_negative_term_is_refused_next_to_its_field(signed_in, admin_a, tenant_a, in_tenant):
    insurer = make_insurer(tenant_a, in_tenant)
    response = signed_in(admin_a).post(
        reverse("insurance_policy_create"), policy_post(insurer, **NEGATIVE)
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(NEGATIVE) <= set(errors)
    assert errors["deductible_per_claim"] == ["Ce montant ne peut pas être négatif."]
    assert errors["waiting_days"] == ["Un nombre de jours ne peut pas être négatif."]
    assert errors["covered_share"] == ["Donnez un pourcentage entre 0 et 100."]
    page = response.content.decode()
    assert page.count("Ce montant ne peut pas être négatif.") == len(AMOUNT_TERMS)
    with in_tenant(tenant_a):
        assert not InsurancePolicy.objects.exists()


@pytest.mark.django_db
def test_a_covered_share_over_100_is_refused_and_nothing_changes(
    signed_in, admin_a, tenant_a, in_tenant
):
    policy = make_policy(tenant_a, in_tenant)
    browser = signed_in(admin_a)
    response = browser.post(
        reverse("insurance_policy_edit", args=[policy.pk]),
        policy_post(policy.insurer, covered_share="120", annual_max_indemnity="-300000"),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["covered_share"] == ["Donnez un pourcentage entre 0 et 100."]
    assert errors["annual_max_indemnity"] == ["Ce montant ne peut pas être négatif."]
    # A text input read the French way on the server (portage.forms.RateField): the bounds
    # are checked there, not by the browser.
    assert 'name="covered_share" value="120" inputmode="decimal"' in response.content.decode()
    with in_tenant(tenant_a):
        policy.refresh_from_db()
        assert policy.covered_share == D("90.000")
        assert not AuditEntry.objects.filter(action="insurance.policy_updated").exists()


@pytest.mark.django_db
def test_zero_is_a_valid_term(signed_in, admin_a, tenant_a, in_tenant):
    insurer = make_insurer(tenant_a, in_tenant)
    zeros = {name: "0" for name in ("deductible_per_claim", "claim_threshold", "notice_days")}
    response = signed_in(admin_a).post(
        reverse("insurance_policy_create"), policy_post(insurer, covered_share="100", **zeros)
    )
    assert response.status_code == 302
    with in_tenant(tenant_a):
        policy = InsurancePolicy.objects.get()
    assert (policy.deductible_per_claim, policy.covered_share) == (D("0.00"), D("100.000"))


@pytest.mark.django_db
@pytest.mark.parametrize("name", AMOUNT_TERMS + DAYS_TERMS + PERCENT_TERMS)
def test_the_database_refuses_a_negative_term(tenant_a, in_tenant, name):
    policy = make_policy(tenant_a, in_tenant)
    with in_tenant(tenant_a), pytest.raises(IntegrityError), transaction.atomic():
        InsurancePolicy.objects.filter(pk=policy.pk).update(**{name: -1})


@pytest.mark.django_db
@pytest.mark.parametrize("name", PERCENT_TERMS)
def test_the_database_refuses_a_percentage_over_100(tenant_a, in_tenant, name):
    policy = make_policy(tenant_a, in_tenant)
    with in_tenant(tenant_a), pytest.raises(IntegrityError), transaction.atomic():
        InsurancePolicy.objects.filter(pk=policy.pk).update(**{name: D("100.001")})


# The API

api_db = pytest.mark.django_db(transaction=True, databases=["default", PLATFORM_DB])


def post_policy(client, insurer_pk, **terms):
    body = {
        "insurer": insurer_pk,
        "number": "CF-2027",
        "starts_on": "2027-01-01",
        "ends_on": "2027-12-31",
        **terms,
    }
    return client.post("/api/v1/insurance-policies/", body, format="json")


@api_db
def test_the_api_records_a_policy_with_the_defaults_of_the_terms_left_out(tenant_a):
    limit, _claim, _invoice = insured_claim(tenant_a)
    write = api(key_for(tenant_a, "write")[1])
    with tenant_context(tenant_a):
        insurer_pk = limit.policy.insurer_id
    created = post_policy(write, insurer_pk, deductible_per_claim="750.00", waiting_days=120)
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["deductible_per_claim"], body["waiting_days"], body["covered_share"]) == (
        "750.00",
        120,
        "90.000",
    )
    assert body["excluded_categories"] == ["public", "individual", "related"]
    changed = write.patch(
        f"/api/v1/insurance-policies/{body['id']}/", {"claim_threshold": "250"}, format="json"
    )
    assert changed.status_code == 200, changed.json()
    assert (changed.json()["claim_threshold"], changed.json()["deductible_per_claim"]) == (
        "250.00",
        "750.00",
    )
    with tenant_context(tenant_a):
        assert list(
            AuditEntry.objects.filter(action__startswith="insurance.policy_")
            .order_by("id")
            .values_list("action", flat=True)
        ) == ["insurance.policy_created", "insurance.policy_updated"]


@api_db
def test_the_api_answers_400_on_each_negative_term(tenant_a):
    limit, _claim, _invoice = insured_claim(tenant_a)
    write = caller(tenant_a)
    with tenant_context(tenant_a):
        insurer_pk = limit.policy.insurer_id
    # In JSON, a number of days is an integer (a string "-1" is refused as not one).
    negative = {**NEGATIVE, **{name: -1 for name in DAYS_TERMS}}
    refused = post_policy(write, insurer_pk, **negative)
    assert refused.status_code == 400
    fields = refused.json()["error"]["fields"]
    assert set(fields) == set(NEGATIVE)
    assert fields["claim_threshold"] == ["This amount cannot be negative."]
    assert fields["notice_days"] == ["A number of days cannot be negative."]
    assert fields["premium_rate"] == ["Give a percentage between 0 and 100."]
    over = write.patch(
        f"/api/v1/insurance-policies/{limit.policy_id}/", {"covered_share": "101"}, format="json"
    )
    assert over.status_code == 400
    assert over.json()["error"]["fields"] == {
        "covered_share": ["Give a percentage between 0 and 100."]
    }
    with tenant_context(tenant_a):
        assert InsurancePolicy.objects.count() == 1
        assert InsurancePolicy.objects.get().covered_share == D("90.000")


@api_db
def test_the_api_applies_the_policy_page_s_rules_and_a_read_key_records_nothing(tenant_a, tenant_b):
    limit, _claim, _invoice = insured_claim(tenant_a)
    other, _claim_b, _invoice_b = insured_claim(tenant_b)
    write = api(key_for(tenant_a, "write")[1])
    with tenant_context(tenant_a):
        insurer_pk = limit.policy.insurer_id
    overlap = post_policy(write, insurer_pk, starts_on="2026-06-01")
    # A period overlapping another policy's, an insurer of another company: rules the
    # schema cannot state (422); a field the policy has not, the schema's (400).
    assert overlap.status_code == 422 and "ends_on" in overlap.json()["error"]["fields"]
    with tenant_context(tenant_b):
        foreign_insurer = other.policy.insurer_id
    foreign = post_policy(write, foreign_insurer)
    assert foreign.status_code == 422 and "insurer" in foreign.json()["error"]["fields"]
    unknown = post_policy(write, insurer_pk, premium="0")
    assert unknown.status_code == 400 and "premium" in unknown.json()["error"]["fields"]
    reader = api(key_for(tenant_a, "read")[1])
    assert [row["id"] for row in reader.get("/api/v1/insurance-policies/").json()["results"]] == [
        limit.policy_id
    ]
    assert reader.get(f"/api/v1/insurance-policies/{other.policy_id}/").status_code == 404
    assert post_policy(reader, insurer_pk).status_code == 403
