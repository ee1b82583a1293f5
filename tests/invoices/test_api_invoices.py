"""Invoices through the API: a draft written with its lines, changed under If-Match so two
callers never overwrite each other, issued, printed, cancelled by a credit note."""

from datetime import date
from decimal import Decimal

import pytest

from invoices.models import Invoice
from portage.tenancy import PLATFORM_DB, tenant_context
from tests.factories import make_client, make_consultant, make_invoice
from tests.helpers import api, caller, key_for, twins

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", PLATFORM_DB])


def line(days="10", rate="600.00", vat="20.00"):
    return {
        "description": "Conseil",
        "quantity": days,
        "unit": "DAY",
        "unit_price": rate,
        "vat_rate": vat,
    }


@pytest.fixture
def writer(tenant_a):
    return caller(tenant_a)


@pytest.fixture
def parties(tenant_a):
    return make_client(tenant_a), make_consultant(tenant_a)


def draft_body(parties, **changes):
    client, consultant = parties
    return {"client": client.pk, "consultant": consultant.pk, "lines": [line()], **changes}


def test_a_draft_is_created_issued_and_its_pdf_downloaded(tenant_a, writer, parties):
    created = writer.post("/api/v1/invoices/", draft_body(parties), format="json")
    assert created.status_code == 201, created.json()
    draft = created.json()
    assert draft["status"] == "draft" and draft["number"] == ""
    assert (draft["total_ht"], draft["total_vat"], draft["total_ttc"]) == (
        "6000.00",
        "1200.00",
        "7200.00",
    )
    assert created["ETag"]
    no_pdf = writer.get(f"/api/v1/invoices/{draft['id']}/pdf/", HTTP_ACCEPT="application/pdf")
    assert no_pdf.status_code == 404 and "issue it first" in no_pdf.json()["error"]["message"]
    issued = writer.post(f"/api/v1/invoices/{draft['id']}/issue/")
    assert issued.status_code == 200 and issued.json()["number"]
    pdf = writer.get(f"/api/v1/invoices/{draft['id']}/pdf/", HTTP_ACCEPT="application/pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")


def test_of_two_callers_editing_one_draft_the_second_gets_412_and_the_first_change_stays(
    tenant_a, writer, parties
):
    invoice_id = writer.post("/api/v1/invoices/", draft_body(parties), format="json").json()["id"]
    path = f"/api/v1/invoices/{invoice_id}/"
    etag_a = writer.get(path)["ETag"]
    etag_b = writer.get(path)["ETag"]
    first = writer.patch(path, {"purchase_order": "BC-A"}, format="json", HTTP_IF_MATCH=etag_a)
    assert first.status_code == 200 and first["ETag"] != etag_a
    second = writer.patch(path, {"purchase_order": "BC-B"}, format="json", HTTP_IF_MATCH=etag_b)
    assert second.status_code == 412
    error = second.json()["error"]
    assert (
        error["code"] == "precondition_failed" and "changed since you read it" in error["message"]
    )
    assert writer.get(path).json()["purchase_order"] == "BC-A"
    # Read again, B changes what A left.
    again = writer.patch(
        path, {"purchase_order": "BC-B"}, format="json", HTTP_IF_MATCH=first["ETag"]
    )
    assert again.status_code == 200 and again.json()["purchase_order"] == "BC-B"


def test_two_changes_sent_at_the_same_moment_with_one_etag_apply_once(tenant_a, writer, parties):
    invoice_id = writer.post("/api/v1/invoices/", draft_body(parties), format="json").json()["id"]
    path = f"/api/v1/invoices/{invoice_id}/"
    etag = writer.get(path)["ETag"]
    key = key_for(tenant_a, "write")[1]
    responses = twins(
        lambda: api(key).patch(path, {"purchase_order": "BC-1"}, format="json", HTTP_IF_MATCH=etag)
    )
    assert sorted(response.status_code for response in responses) == [200, 412]


def test_a_patch_with_lines_replaces_them_and_recomputes_the_totals(tenant_a, writer, parties):
    invoice_id = writer.post("/api/v1/invoices/", draft_body(parties), format="json").json()["id"]
    changed = writer.patch(
        f"/api/v1/invoices/{invoice_id}/",
        {"lines": [line("2", "500.00"), line("1", "100.00", "10.00")]},
        format="json",
    ).json()
    assert [row["total_ht"] for row in changed["lines"]] == ["1000.00", "100.00"]
    assert (changed["total_vat"], changed["total_ttc"]) == ("210.00", "1310.00")


def test_an_issued_invoice_cannot_be_changed_or_deleted(tenant_a, writer):
    invoice = make_invoice(tenant_a, issued_on=date(2026, 3, 2))
    path = f"/api/v1/invoices/{invoice.pk}/"
    for response in (
        writer.patch(path, {"purchase_order": "X"}, format="json"),
        writer.delete(path),
    ):
        assert response.status_code == 409
        error = response.json()["error"]
        assert error["code"] == "not_a_draft" and "credit note" in error["message"]
    with tenant_context(tenant_a):
        assert Invoice.objects.get(pk=invoice.pk).purchase_order == ""


def test_a_draft_is_deleted_only_with_a_current_etag(tenant_a, writer, parties):
    created = writer.post("/api/v1/invoices/", draft_body(parties), format="json")
    path = f"/api/v1/invoices/{created.json()['id']}/"
    writer.patch(path, {"purchase_order": "BC-1"}, format="json")
    assert writer.delete(path, HTTP_IF_MATCH=created["ETag"]).status_code == 412
    assert writer.delete(path, HTTP_IF_MATCH=writer.get(path)["ETag"]).status_code == 204
    assert writer.get(path).status_code == 404


def test_bad_drafts_are_refused_with_the_fields_at_fault(tenant_a, tenant_b, writer, parties):
    other_company_client = make_client(tenant_b)
    # What the schema states is a 400; an id naming no object of this company, a 422.
    cases = [
        ({"lines": []}, "lines", 400),
        ({"lines": [{**line(), "quantity": "0"}]}, "lines", 400),
        ({"lines": [{**line(), "quantity": 1}]}, "lines", 400),
        ({"client": other_company_client.pk}, "client", 422),
        ({"total_ttc": "1.00"}, "total_ttc", 400),
        ({"payment_terms": "someday"}, "payment_terms", 400),
    ]
    for changes, field, status in cases:
        response = writer.post("/api/v1/invoices/", draft_body(parties, **changes), format="json")
        assert response.status_code == status, changes
        assert field in response.json()["error"]["fields"], changes
    # The service's rule: only French VAT rates.
    wrong_rate = writer.post(
        "/api/v1/invoices/", draft_body(parties, lines=[line(vat="7.00")]), format="json"
    )
    assert wrong_rate.status_code == 422
    assert "VAT rate" in str(wrong_rate.json()["error"]["fields"])
    with tenant_context(tenant_a):
        assert not Invoice.objects.exists()


def test_a_read_key_cannot_write_invoices(tenant_a, parties):
    reader = caller(tenant_a, "read")
    draft = make_invoice(tenant_a)
    assert reader.post("/api/v1/invoices/", draft_body(parties), format="json").status_code == 403
    path = f"/api/v1/invoices/{draft.pk}/"
    assert reader.patch(path, {"purchase_order": "X"}, format="json").status_code == 403
    assert reader.delete(path).status_code == 403
    assert reader.post(f"{path}issue/").status_code == 403
    assert reader.get(path).status_code == 200


def test_a_credit_note_cancels_part_of_an_invoice(tenant_a, writer):
    invoice = make_invoice(tenant_a, issued_on=date(2026, 3, 2))
    path = f"/api/v1/invoices/{invoice.pk}/credit-note/"
    assert writer.post(path, {}, format="json").json()["error"]["fields"].keys() == {"reason"}
    response = writer.post(
        path,
        {"reason": "Two days not worked", "lines": [line("2")]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="avoir-1",
    )
    assert response.status_code == 201, response.json()
    note = response.json()
    assert note["kind"] == "credit_note" and note["credited_invoice"] == invoice.pk
    assert note["total_ttc"] == "1440.00" and note["number"]
    again = writer.post(
        path,
        {"reason": "Two days not worked", "lines": [line("2")]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="avoir-1",
    )
    assert again.json()["id"] == note["id"]
    balance = writer.get(f"/api/v1/invoices/{invoice.pk}/").json()["balance"]
    assert Decimal(balance) == invoice.total_ttc - Decimal("1440.00")
    too_much = writer.post(
        path, {"reason": "All of it again", "lines": [line("10")]}, format="json"
    )
    assert too_much.status_code == 422 and "still unpaid" in str(too_much.json()["error"])


def test_lists_follow_the_ordering_asked_across_cursor_pages(tenant_a, writer):
    client, consultant = make_client(tenant_a), make_consultant(tenant_a)
    amounts = ["3", "1", "2", "1"]
    for days in amounts:
        make_invoice(tenant_a, client=client, consultant=consultant, lines=[line(days)])
    first = writer.get("/api/v1/invoices/?ordering=total_ttc&page_size=2").json()
    second = writer.get(first["next"]).json()
    totals = [row["total_ttc"] for row in first["results"] + second["results"]]
    assert totals == ["720.00", "720.00", "1440.00", "2160.00"]
    assert not second["next"]
    wrong = writer.get("/api/v1/invoices/?ordering=buyer")
    assert wrong.status_code == 400 and "ordering" in wrong.json()["error"]["fields"]


def test_a_company_lists_only_its_own_invoices_and_clients(tenant_a, tenant_b, writer):
    mine = make_invoice(tenant_a)
    make_invoice(tenant_b)
    invoices = writer.get("/api/v1/invoices/").json()["results"]
    assert [row["id"] for row in invoices] == [mine.pk]
    clients = writer.get("/api/v1/clients/").json()["results"]
    assert [row["id"] for row in clients] == [mine.client_id]


def test_a_draft_takes_its_service_period(writer, parties):
    created = writer.post(
        "/api/v1/invoices/",
        draft_body(parties, period_start="2026-08-01", period_end="2026-08-31"),
        format="json",
    )

    assert created.status_code == 201, created.json()
    assert (created.json()["period_start"], created.json()["period_end"]) == (
        "2026-08-01",
        "2026-08-31",
    )


def test_a_service_period_that_ends_before_it_starts_is_refused(writer, parties):
    created = writer.post(
        "/api/v1/invoices/",
        draft_body(parties, period_start="2026-08-31", period_end="2026-08-01"),
        format="json",
    )

    assert created.status_code == 422
    assert "period_end" in created.json()["error"]["fields"]
