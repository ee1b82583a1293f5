"""The collections API as an accounting system uses it: cases paused, disputed and resumed
through the same services as the worklist, the reminders and formal notices read."""

from datetime import timedelta

import pytest

from dunning.models import Action, StepKind
from invoices.services.payments import payment_record
from portage.batch import paris_today, run_job_for_tenant
from portage.tenancy import PLATFORM_DB, tenant_context
from tests.dunning.api_world import build, late_invoice
from tests.helpers import api, key_for

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", PLATFORM_DB])

TODAY = paris_today()


@pytest.fixture
def late(tenant_a):
    """An invoice 20 days late that the ladder has followed (first reminder sent)."""
    return late_invoice(
        tenant_a, issued_on=TODAY - timedelta(days=50), days=[TODAY - timedelta(days=19)]
    )


@pytest.fixture
def write(tenant_a):
    return api(key_for(tenant_a, "write")[1])


def case_of(client, invoice):
    rows = client.get(f"/api/v1/dunning-cases/?invoice={invoice.pk}").json()["results"]
    assert len(rows) == 1
    return rows[0]


def second_reminders(tenant):
    with tenant_context(tenant):
        return Action.objects.filter(kind=StepKind.SECOND_REMINDER).count()


def test_a_pause_keeps_the_invoice_off_the_next_run_and_resume_puts_it_back(tenant_a, late, write):
    case = case_of(write, late)
    assert (case["state"], case["last_step"], case["invoice_number"]) == (
        "active",
        "first_reminder",
        late.number,
    )
    until = TODAY + timedelta(days=10)
    paused = write.post(
        f"/api/v1/dunning-cases/{case['id']}/pause/",
        {"until": until.isoformat(), "reason": "Waiting for the purchase order"},
        format="json",
    )
    assert paused.status_code == 200, paused.json()
    assert paused.json()["state"] == "paused"
    assert [(p["kind"], p["until"]) for p in paused.json()["active_pauses"]] == [
        ("manual", until.isoformat())
    ]
    run_job_for_tenant("dunning", tenant=tenant_a, today=TODAY)
    assert second_reminders(tenant_a) == 0
    resumed = write.post(
        f"/api/v1/dunning-cases/{case['id']}/resume/", {"reason": "PO received"}, format="json"
    )
    assert resumed.status_code == 200
    assert (resumed.json()["state"], resumed.json()["active_pauses"]) == ("active", [])
    run_job_for_tenant("dunning", tenant=tenant_a, today=TODAY)
    assert second_reminders(tenant_a) == 1


def test_a_dispute_shows_on_the_case_and_needs_its_reason(late, write):
    case = case_of(write, late)
    url = f"/api/v1/dunning-cases/{case['id']}/dispute/"
    refused = write.post(url, {"reason": " "}, format="json")
    assert refused.status_code == 400
    assert "reason" in refused.json()["error"]["fields"]
    disputed = write.post(url, {"reason": "Wrong day count"}, format="json").json()
    assert disputed["state"] == "disputed"
    assert [(p["kind"], p["reason"]) for p in disputed["active_pauses"]] == [
        ("dispute", "Wrong day count")
    ]
    listed = write.get("/api/v1/dunning-cases/?state=disputed").json()["results"]
    assert [row["id"] for row in listed] == [case["id"]]


def test_actions_that_make_no_sense_answer_with_the_reason(tenant_a, late, write):
    # The case's state forbids it: 409; a rule refuses a value: 422; the schema, 400.
    case = case_of(write, late)
    not_paused = write.post(f"/api/v1/dunning-cases/{case['id']}/resume/", {}, format="json")
    assert not_paused.status_code == 409
    assert not_paused.json()["error"]["code"] == "conflict"
    assert "pas suspendues" in not_paused.json()["error"]["message"]
    past = write.post(
        f"/api/v1/dunning-cases/{case['id']}/pause/",
        {"until": (TODAY - timedelta(days=1)).isoformat()},
        format="json",
    )
    assert past.status_code == 422 and "until" in past.json()["error"]["fields"]
    bad = write.post(
        f"/api/v1/dunning-cases/{case['id']}/pause/",
        {"kind": "holiday", "until": "soon"},
        format="json",
    )
    assert bad.status_code == 400
    assert {"kind", "until"} <= set(bad.json()["error"]["fields"])
    with tenant_context(tenant_a):
        payment_record(
            client=late.client,
            amount=late.total_ttc,
            received_on=TODAY,
            by=None,
            allocations=[(late, late.total_ttc)],
        )
    paid = write.post(
        f"/api/v1/dunning-cases/{case['id']}/dispute/", {"reason": "Too late"}, format="json"
    )
    assert paid.status_code == 409
    assert paid.json()["error"]["code"] == "conflict" and paid.json()["error"]["message"]


def test_a_read_key_reads_cases_but_cannot_pause_them(tenant_a, late):
    reader = api(key_for(tenant_a, "read")[1])
    case = case_of(reader, late)
    response = reader.post(
        f"/api/v1/dunning-cases/{case['id']}/pause/",
        {"until": (TODAY + timedelta(days=5)).isoformat()},
        format="json",
    )
    assert response.status_code == 403
    assert set(response.json()["error"]) == {"code", "message", "fields"}


def test_reminders_and_formal_notices_are_read_with_their_pdf_each_company_its_own(
    tenant_a, tenant_b
):
    ids = build(tenant_a)
    other = build(tenant_b)
    client = api(key_for(tenant_a, "read")[1])
    cases = client.get("/api/v1/dunning-cases/").json()["results"]
    assert [row["id"] for row in cases] == [ids["dunning-case"]]
    invoice = cases[0]["invoice"]
    messages = client.get(f"/api/v1/messages/?invoice={invoice}&status=sent").json()["results"]
    assert {"first_reminder", "second_reminder"} <= {row["kind"] for row in messages}
    assert all(row["invoices"] == [invoice] for row in messages)
    letters = client.get("/api/v1/letters/").json()["results"]
    assert [row["id"] for row in letters] == [ids["letter"]]
    letter = letters[0]
    assert letter["has_pdf"] and letter["lines"][0]["invoice_pk"] == invoice
    assert letter["posting"] == "to_post" and letter["replaces"] is None
    pdf = client.get(f"/api/v1/letters/{ids['letter']}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    # Another company's letter, asked for as a PDF: a 404 in the one JSON error shape.
    missing = client.get(f"/api/v1/letters/{other['letter']}/pdf/", HTTP_ACCEPT="application/pdf")
    assert missing.status_code == 404 and missing["Content-Type"] == "application/json"
    assert missing.json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/messages/?created_after=yesterday").status_code == 400
    assert client.get("/api/v1/dunning-cases/?ordering=created_at").status_code == 200
