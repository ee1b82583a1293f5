"""The Idempotency-Key is compared whole: two keys that share a long prefix are two
requests; a key above 255 characters, blank or unprintable is refused with a 400 and
nothing is done; a key in any language is kept and replayed."""

from datetime import date
from decimal import Decimal

import pytest

from invoices.models import Payment
from portage.tenancy import PLATFORM_DB, tenant_context
from tests.factories import make_invoice
from tests.helpers import api, key_for
from tests.invoices.test_api_idempotency import payment_body

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", PLATFORM_DB])


@pytest.fixture
def caller(tenant_a):
    return api(key_for(tenant_a, "write")[1])


def post(caller, invoice, key, amount="100.00"):
    return caller.post(
        "/api/v1/payments/",
        payment_body(invoice, amount),
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def payments(tenant):
    with tenant_context(tenant):
        return Payment.objects.count()


def test_two_keys_sharing_a_long_prefix_are_two_payments(tenant_a, caller):
    invoice = make_invoice(tenant_a, issued_on=date(2026, 3, 2))
    prefix = "x" * 250
    first = post(caller, invoice, prefix + "-1")
    second = post(caller, invoice, prefix + "-2")
    assert (first.status_code, second.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in second
    assert payments(tenant_a) == 2


def test_a_key_too_long_blank_or_unprintable_is_refused_and_nothing_is_done(tenant_a, caller):
    invoice = make_invoice(tenant_a, issued_on=date(2026, 3, 2))
    for key, code in [
        ("k" * 256, "idempotency_key_too_long"),
        (" ", "idempotency_key_blank"),
        ("", "idempotency_key_blank"),
        ("a\tb", "idempotency_key_unprintable"),
    ]:
        for _ in range(3):
            response = post(caller, invoice, key)
            assert response.status_code == 400, key
            assert response.json()["error"]["code"] == code
            assert "Idempotency-Key" in response.json()["error"]["fields"]
    assert payments(tenant_a) == 0
    # 255 characters is the most a key may have.
    assert post(caller, invoice, "k" * 255).status_code == 201


def test_a_key_in_any_language_is_kept_and_replayed(tenant_a, caller):
    invoice = make_invoice(tenant_a, issued_on=date(2026, 3, 2))
    # As a WSGI server hands a UTF-8 header over: its bytes read as Latin-1.
    key = "paiement-été-€-支付".encode().decode("latin-1")
    first = post(caller, invoice, key)
    again = post(caller, invoice, key)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert payments(tenant_a) == 1
    with tenant_context(tenant_a):
        assert Payment.objects.get().amount == Decimal("100.00")
