"""Payments through the API: a reversal reopens what the payment had settled, once."""

from datetime import date
from decimal import Decimal

import pytest

from portage.tenancy import PLATFORM_DB
from tests.factories import make_invoice
from tests.helpers import caller

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", PLATFORM_DB])


def pay(writer, invoice, amount="7200.00"):
    body = {
        "client": invoice.client_id,
        "amount": amount,
        "received_on": "2026-04-01",
        "allocations": [{"invoice": invoice.pk, "amount": amount}],
    }
    response = writer.post("/api/v1/payments/", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_reversing_a_payment_restores_the_invoice_balance_once(tenant_a):
    writer = caller(tenant_a)
    invoice = make_invoice(tenant_a, issued_on=date(2026, 3, 2))
    payment = pay(writer, invoice)
    invoice_path = f"/api/v1/invoices/{invoice.pk}/"
    assert writer.get(invoice_path).json()["status"] == "paid"
    path = f"/api/v1/payments/{payment['id']}/reverse/"
    assert "reason" in writer.post(path, {}, format="json").json()["error"]["fields"]
    body = {"reason": "Cheque returned unpaid"}
    reversed_ = writer.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY="rev-1")
    assert reversed_.status_code == 200
    assert reversed_.json()["status"] == "reversed"
    assert reversed_.json()["allocations"][0]["is_active"] is False
    replay = writer.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY="rev-1")
    assert replay.json() == reversed_.json() and replay["Idempotent-Replayed"] == "true"
    twice = writer.post(path, body, format="json")
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "already_reversed"
    reopened = writer.get(invoice_path).json()
    assert reopened["status"] == "issued" and Decimal(reopened["balance"]) == invoice.total_ttc


def test_payments_are_listed_by_status_and_change_since(tenant_a, tenant_b):
    writer = caller(tenant_a)
    kept, reversed_ = (make_invoice(tenant_a, issued_on=date(2026, 3, 2)) for _ in range(2))
    make_invoice(tenant_b, issued_on=date(2026, 3, 2))
    first = pay(writer, kept)
    second = pay(writer, reversed_)
    stamp = writer.get(f"/api/v1/payments/{second['id']}/").json()["created_at"]
    writer.post(f"/api/v1/payments/{first['id']}/reverse/", {"reason": "Twice"}, format="json")
    listed = writer.get("/api/v1/payments/", {"status": "reversed"}).json()["results"]
    assert [row["id"] for row in listed] == [first["id"]]
    # Recorded since the second payment, or reversed since: both.
    since = writer.get("/api/v1/payments/", {"updated_since": stamp}).json()["results"]
    assert {row["id"] for row in since} == {first["id"], second["id"]}
    assert writer.get("/api/v1/payments/", {"updated_since": "yesterday"}).status_code == 400
    # Offsets ISO 8601 allows and PostgreSQL does not; moments before year 1 in UTC.
    far_offset = writer.get("/api/v1/payments/", {"updated_since": "2026-01-01T00:00:00+16:08"})
    assert far_offset.status_code == 200
    before_time = writer.get("/api/v1/payments/", {"updated_since": "0001-01-01T00:00:00+01:00"})
    assert before_time.status_code == 400
