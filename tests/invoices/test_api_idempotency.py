"""POST with an Idempotency-Key: the same key and body return the first answer without the
work being done again, another body gets 409, and two identical requests at the same moment
record one payment and issue one invoice."""

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import connections
from rest_framework.test import APIClient

from invoices.models import Invoice, Payment
from portage.api_keys import api_key_create
from portage.permissions import Role
from portage.tenancy import PLATFORM_DB, tenant_context
from tests.factories import make_invoice, make_member

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", PLATFORM_DB])


@pytest.fixture
def key(tenant_a):
    admin = make_member(tenant_a, Role.ADMIN).user
    with tenant_context(tenant_a):
        return api_key_create(tenant=tenant_a, name="Compta", scope="write", by=admin)[1]


def caller(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def payment_body(invoice, amount="1200.00"):
    return {
        "client": invoice.client_id,
        "amount": amount,
        "received_on": "2026-04-01",
        "reference": "VIR 1",
        "allocations": [{"invoice": invoice.pk, "amount": amount}],
    }


def test_the_same_payment_posted_twice_is_recorded_once(tenant_a, key):
    invoice = make_invoice(tenant_a, issued_on=date(2026, 3, 2))
    first = caller(key).post(
        "/api/v1/payments/", payment_body(invoice), format="json", HTTP_IDEMPOTENCY_KEY="p-1"
    )
    again = caller(key).post(
        "/api/v1/payments/", payment_body(invoice), format="json", HTTP_IDEMPOTENCY_KEY="p-1"
    )
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    other = caller(key).post(
        "/api/v1/payments/",
        payment_body(invoice, "100.00"),
        format="json",
        HTTP_IDEMPOTENCY_KEY="p-1",
    )
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    with tenant_context(tenant_a):
        assert Payment.objects.count() == 1
        assert Invoice.objects.get(pk=invoice.pk).paid_amount == Decimal("1200.00")


def twins(request):
    """Runs `request()` twice at the same moment; returns both responses."""
    start = threading.Barrier(2, timeout=20)
    responses = []

    def run():
        try:
            start.wait()
            responses.append(request())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return responses


def test_two_identical_payments_at_the_same_moment_record_one(tenant_a, key):
    invoice = make_invoice(tenant_a, issued_on=date(2026, 3, 2))
    responses = twins(
        lambda: caller(key).post(
            "/api/v1/payments/", payment_body(invoice), format="json", HTTP_IDEMPOTENCY_KEY="t-1"
        )
    )
    assert [response.status_code for response in responses] == [201, 201]
    assert responses[0].json() == responses[1].json()
    with tenant_context(tenant_a):
        assert Payment.objects.count() == 1


def test_two_identical_issue_requests_at_the_same_moment_issue_once(tenant_a, key):
    draft = make_invoice(tenant_a)
    responses = twins(
        lambda: caller(key).post(
            f"/api/v1/invoices/{draft.pk}/issue/", format="json", HTTP_IDEMPOTENCY_KEY="i-1"
        )
    )
    assert [response.status_code for response in responses] == [200, 200]
    numbers = {response.json()["number"] for response in responses}
    assert len(numbers) == 1 and numbers != {""}
    with tenant_context(tenant_a):
        assert Invoice.objects.get(pk=draft.pk).status == "issued"
    # Without the header, issuing an issued invoice is a clear 409 (its state), not a 500.
    response = caller(key).post(f"/api/v1/invoices/{draft.pk}/issue/", format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_a_draft"
