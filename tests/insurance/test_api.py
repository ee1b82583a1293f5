"""The credit insurance API as an accounting system uses it: a limit asked of the insurer
and its decision, a claim's answers from the insurer recorded through the same services as
the claim page, with the indemnity credited to the consultant."""

from datetime import date
from decimal import Decimal

import pytest

from consultants.models import LedgerEntry
from portage.tenancy import PLATFORM_DB, tenant_context
from tests.factories import make_client
from tests.helpers import api, key_for
from tests.insurance.api_world import insured_claim

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", PLATFORM_DB])

FILED = date(2026, 9, 1)
PAID = date(2026, 9, 10)


@pytest.fixture
def world(tenant_a):
    limit, claim, invoice = insured_claim(tenant_a)
    return {"limit": limit, "claim": claim, "invoice": invoice}


@pytest.fixture
def write(tenant_a):
    return api(key_for(tenant_a, "write")[1])


def post(client, path, body=None):
    return client.post(path, body or {}, format="json")


def test_a_limit_is_asked_then_the_insurer_s_decision_recorded(tenant_a, world, write):
    client = make_client(tenant_a)
    policy = world["limit"].policy_id
    asked = post(
        write,
        "/api/v1/credit-limits/",
        {"client": client.pk, "policy": policy, "amount": "30000.00"},
    )
    assert asked.status_code == 201, asked.json()
    request = asked.json()
    assert (request["status"], request["requested_amount"], request["source"]) == (
        "requested",
        "30000.00",
        "back_office",
    )
    # A partial limit is at most the amount asked: the service's rule, as a field error.
    too_much = post(
        write,
        f"/api/v1/credit-limits/{request['id']}/decide/",
        {"status": "partial", "amount": "40000.00", "decided_on": "2026-04-02"},
    )
    assert too_much.status_code == 422 and "amount" in too_much.json()["error"]["fields"]
    decided = post(
        write,
        f"/api/v1/credit-limits/{request['id']}/decide/",
        {"status": "partial", "amount": "20000.00", "decided_on": "2026-04-02", "grade": "4"},
    )
    assert decided.status_code == 201, decided.json()
    decision = decided.json()
    assert (decision["status"], decision["amount"], decision["requested_amount"]) == (
        "partial",
        "20000.00",
        "30000.00",
    )
    assert (decision["client"], decision["effective_from"]) == (client.pk, "2026-04-02")
    history = write.get(f"/api/v1/credit-limits/?client={client.pk}").json()["results"]
    assert [row["status"] for row in history] == ["partial", "requested"]


def test_a_limit_request_with_bad_input_answers_400_with_its_fields(world, write):
    response = post(
        write,
        "/api/v1/credit-limits/",
        {"client": 999999, "policy": world["limit"].policy_id, "amount": "-5"},
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and {"client", "amount"} <= set(error["fields"])


def test_the_insurer_s_answers_move_the_claim_and_credit_the_consultant(tenant_a, world, write):
    claim, invoice = world["claim"], world["invoice"]
    path = f"/api/v1/claims/{claim.pk}"
    read = write.get(f"{path}/").json()
    assert (read["state"], read["expected_indemnity"], read["reference"]) == (
        "to_file",
        "4900.00",
        f"CLM-{claim.pk}",
    )
    assert [(line["invoice"], line["covered_amount"]) for line in read["lines"]] == [
        (invoice.pk, "6000.00")
    ]
    assert read["computation"][-1]["amount"] == "4900.00"
    early = post(write, f"{path}/indemnify/", {"amount": "4900.00", "paid_on": PAID.isoformat()})
    # Not filed yet: the claim's state forbids it, a 409 in the error shape.
    assert early.status_code == 409 and early.json()["error"]["code"] == "conflict"
    assert early.json()["error"]["message"]
    filed = post(write, f"{path}/file/", {"filed_on": FILED.isoformat(), "insurer_reference": "S1"})
    assert filed.status_code == 200 and filed.json()["state"] == "filed"
    assert post(write, f"{path}/acknowledge/").json()["state"] == "acknowledged"
    paid = post(write, f"{path}/indemnify/", {"amount": "4900.00", "paid_on": PAID.isoformat()})
    assert paid.status_code == 200
    assert (paid.json()["state"], paid.json()["indemnity_amount"]) == ("indemnified", "4900.00")
    assert paid.json()["next_states"] == ["closed"]
    # As on the claim page: 4 900 excl. VAT less the 10 % fee, on the invoice's consultant.
    with tenant_context(tenant_a):
        entries = list(
            LedgerEntry.objects.filter(kind=LedgerEntry.Kind.INDEMNITY_RECEIVED).values_list(
                "consultant_id", "amount", "invoice_pk", "booked_on"
            )
        )
    assert entries == [(invoice.consultant_id, Decimal("4410.00"), invoice.pk, PAID)]
    twice = post(write, f"{path}/indemnify/", {"amount": "4900.00", "paid_on": PAID.isoformat()})
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "conflict"
    assert post(write, f"{path}/close/").json()["state"] == "closed"


def test_a_rejection_needs_its_reason_and_bad_input_answers_400(world, write):
    path = f"/api/v1/claims/{world['claim'].pk}"
    post(write, f"{path}/file/", {"filed_on": FILED.isoformat()})
    missing = post(write, f"{path}/reject/", {})
    assert missing.status_code == 400 and "reason" in missing.json()["error"]["fields"]
    bad = post(write, f"{path}/indemnify/", {"amount": "lots", "paid_on": "tomorrow"})
    assert bad.status_code == 400
    assert {"amount", "paid_on"} <= set(bad.json()["error"]["fields"])
    rejected = post(write, f"{path}/reject/", {"reason": "Debt disputed by the client"})
    assert rejected.json()["state"] == "rejected"
    assert rejected.json()["rejection_reason"] == "Debt disputed by the client"


def test_a_read_key_reads_claims_and_limits_but_records_nothing(tenant_a, world):
    reader = api(key_for(tenant_a, "read")[1])
    path = f"/api/v1/claims/{world['claim'].pk}"
    assert reader.get(f"{path}/").status_code == 200
    response = post(reader, f"{path}/indemnify/", {"amount": "1.00", "paid_on": "2026-09-10"})
    assert response.status_code == 403
    limit = world["limit"]
    asked = post(
        reader,
        "/api/v1/credit-limits/",
        {"client": limit.client_id, "policy": limit.policy_id, "amount": "1000.00"},
    )
    assert asked.status_code == 403


def test_each_company_lists_only_its_own_claims_and_limits(tenant_a, tenant_b, world):
    limit_b, claim_b, _invoice_b = insured_claim(tenant_b)
    client_a = api(key_for(tenant_a, "read")[1])
    claims = client_a.get("/api/v1/claims/").json()["results"]
    assert [row["id"] for row in claims] == [world["claim"].pk]
    limits = client_a.get("/api/v1/credit-limits/").json()["results"]
    assert [row["id"] for row in limits] == [world["limit"].pk]
    assert client_a.get(f"/api/v1/claims/?client={claim_b.client_id}").json()["results"] == []
    assert client_a.get(f"/api/v1/credit-limits/{limit_b.pk}/").status_code == 404
    assert client_a.get("/api/v1/claims/?state=nonsense").status_code == 400
    assert client_a.get("/api/v1/claims/?ordering=opened_on").status_code == 200


def test_dates_left_out_are_today_as_on_the_pages(world, write):
    from portage.batch import paris_today

    claim, limit = world["claim"], world["limit"]
    filed = post(write, f"/api/v1/claims/{claim.pk}/file/")
    assert filed.status_code == 200 and filed.json()["filed_on"] == paris_today().isoformat()
    decided = post(write, f"/api/v1/credit-limits/{limit.pk}/decide/", {"status": "refused"})
    assert decided.status_code == 201
    assert decided.json()["decided_on"] == paris_today().isoformat()
