"""POST with an Idempotency-Key: the same key and body return the first answer without the
work being done again, another body gets 409, and two identical requests at the same moment
record one payment and issue one invoice."""

from datetime import date
from decimal import Decimal

import pytest

from invoices.models import Invoice, Payment
from portage.tenancy import PLATFORM_DB, tenant_context
from tests.factories import make_invoice
from tests.helpers import api, key_for, twins

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", PLATFORM_DB])


@pytest.fixture
def key(tenant_a):
    return key_for(tenant_a, "write")[1]


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
    first = api(key).post(
        "/api/v1/payments/", payment_body(invoice), format="json", HTTP_IDEMPOTENCY_KEY="p-1"
    )
    again = api(key).post(
        "/api/v1/payments/", payment_body(invoice), format="json", HTTP_IDEMPOTENCY_KEY="p-1"
    )
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    other = api(key).post(
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


def test_two_identical_payments_at_the_same_moment_record_one(tenant_a, key):
    invoice = make_invoice(tenant_a, issued_on=date(2026, 3, 2))
    responses = twins(
        lambda: api(key).post(
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
        lambda: api(key).post(
            f"/api/v1/invoices/{draft.pk}/issue/", format="json", HTTP_IDEMPOTENCY_KEY="i-1"
        )
    )
    assert [response.status_code for response in responses] == [200, 200]
    numbers = {response.json()["number"] for response in responses}
    assert len(numbers) == 1 and numbers != {""}
    with tenant_context(tenant_a):
        assert Invoice.objects.get(pk=draft.pk).status == "issued"
    # Without the header, issuing an issued invoice is a clear 409 (its state), not a 500.
    response = api(key).post(f"/api/v1/invoices/{draft.pk}/issue/", format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_a_draft"
