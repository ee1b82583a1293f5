"""A business date (an invoice's issue, a payment received, a bank line booked) lies between
1 January 2000 and a year after today: 0001-01-01, 9999-12-31 or 2062 typed for 2026 are
refused with a message that says the bounds, through the services, the pages and the API."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError

from invoices.models import Payment
from invoices.services.billing import invoice_issue
from invoices.services.payments import payment_record
from portage.batch import paris_today
from portage.tenancy import PLATFORM_DB, tenant_context
from portage.validators import validate_business_date
from tests.factories import make_invoice
from tests.helpers import api, key_for

TODAY = date(2026, 12, 7)


@pytest.mark.parametrize(
    "day, accepted",
    [
        (date(1999, 12, 31), False),
        (date(2000, 1, 1), True),
        (TODAY, True),
        (TODAY + timedelta(days=366), True),  # 8 December 2027
        (TODAY + timedelta(days=367), False),
        (date(1, 1, 1), False),
        (date(9999, 12, 31), False),
    ],
)
def test_the_bounds(day, accepted):
    if accepted:
        validate_business_date(day, today=TODAY, label="The day")
    else:
        with pytest.raises(ValidationError) as refused:
            validate_business_date(day, today=TODAY, label="The day")
        assert refused.value.code == "date_out_of_range"


@pytest.mark.django_db
def test_an_invoice_and_a_payment_far_off_are_refused(tenant_a):
    draft = make_invoice(tenant_a)
    far = paris_today() + timedelta(days=400)
    with tenant_context(tenant_a):
        with pytest.raises(ValidationError, match="01/01/2000"):
            invoice_issue(invoice=draft, by=None, issued_on=date(1, 1, 1))
    issued = make_invoice(tenant_a, issued_on=date(2026, 3, 2))
    with tenant_context(tenant_a):
        with pytest.raises(ValidationError):
            payment_record(client=issued.client, amount="10.00", received_on=far, by=None)
        assert not Payment.objects.exists()


@pytest.mark.django_db(transaction=True, databases=["default", PLATFORM_DB])
def test_the_api_answers_422_for_a_payment_dated_9999(tenant_a):
    # A date the schema allows (any date), out of the window a business date keeps.
    invoice = make_invoice(tenant_a, issued_on=date(2026, 3, 2))
    for day in ("9999-12-31", "0001-01-01"):
        response = api(key_for(tenant_a, "write")[1]).post(
            "/api/v1/payments/",
            {"client": invoice.client_id, "amount": "10.00", "received_on": day},
            format="json",
        )
        assert response.status_code == 422, day
        assert response.json()["error"]["code"] == "refused", day
    with tenant_context(tenant_a):
        assert not Payment.objects.exists()
