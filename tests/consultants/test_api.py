"""Consultants and their activity accounts through the API."""

from datetime import date
from decimal import Decimal

import pytest
from django.core import mail

from consultants.services import pay_out_record
from portage.tenancy import PLATFORM_DB, tenant_context
from tests.factories import make_consultant, make_invoice
from tests.helpers import caller
from tests.invoices.test_api_payments import pay

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", PLATFORM_DB])


def test_a_consultant_is_added_invited_and_their_fee_rate_changed(tenant_a):
    writer = caller(tenant_a)
    body = {
        "email": "claire.martin@example.com",
        "full_name": "Claire Martin",
        "fee_rate": "8.00",
        "start_date": "2026-04-01",
    }
    created = writer.post("/api/v1/consultants/", body, format="json")
    assert created.status_code == 201, created.json()
    consultant = created.json()
    assert (consultant["email"], consultant["status"]) == ("claire.martin@example.com", "active")
    assert [message.to for message in mail.outbox] == [["claire.martin@example.com"]]
    twice = writer.post("/api/v1/consultants/", body, format="json")
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "exists"
    assert "already" in twice.json()["error"]["message"]
    path = f"/api/v1/consultants/{consultant['id']}/"
    changed = writer.patch(path, {"fee_rate": "12.50"}, format="json").json()
    assert (changed["fee_rate"], changed["status"]) == ("12.50", "active")
    for bad in ({"fee_rate": "60"}, {"status": "retired"}, {"email": "x@example.com"}):
        response = writer.patch(path, bad, format="json")
        assert response.status_code == 400 and set(bad) <= set(response.json()["error"]["fields"])
    assert (
        caller(tenant_a, "read").patch(path, {"status": "left"}, format="json").status_code == 403
    )
    left = writer.get("/api/v1/consultants/", {"status": "left"}).json()["results"]
    assert left == []


def test_the_activity_account_shows_the_balance_the_pay_status_and_the_entries(tenant_a, tenant_b):
    writer = caller(tenant_a)
    consultant = make_consultant(tenant_a, fee_rate="10.00")
    idle = make_consultant(tenant_a)
    make_consultant(tenant_b)
    invoice = make_invoice(tenant_a, consultant=consultant, issued_on=date(2026, 3, 2))
    pay(writer, invoice, amount="3600.00")  # half of 7,200.00 TTC: 3,000.00 HT collected
    with tenant_context(tenant_a):
        pay_out_record(
            consultant=consultant,
            kind="salary_paid",
            amount=Decimal("1000.00"),
            booked_on=date(2026, 4, 30),
            label="Salaire avril",
            by=None,
        )
    accounts = writer.get("/api/v1/activity-accounts/").json()["results"]
    assert {row["consultant"]: row["balance"] for row in accounts} == {
        consultant.pk: "1700.00",  # 3,000.00 − 300.00 fee − 1,000.00 salary
        idle.pk: "0.00",
    }
    account = writer.get(f"/api/v1/activity-accounts/{consultant.pk}/").json()
    assert account["balance"] == "1700.00"
    (row,) = account["invoices"]
    assert (row["number"], row["net"], row["acquired"], row["waiting"]) == (
        invoice.number,
        "5400.00",
        "2700.00",
        "2700.00",
    )
    entries = writer.get(f"/api/v1/activity-accounts/{consultant.pk}/entries/").json()
    assert [entry["kind"] for entry in entries["results"]] == [
        "salary_paid",
        "management_fee",
        "invoice_collected",
    ]
    booked = writer.get(
        f"/api/v1/activity-accounts/{consultant.pk}/entries/", {"booked_after": "2026-04-15"}
    ).json()["results"]
    assert [entry["amount"] for entry in booked] == ["-1000.00"]
    assert writer.post("/api/v1/activity-accounts/", {}, format="json").status_code == 405
