"""Billing objects of one company, for the API's cross-company walk
(tests/portage/test_api.py): one id per route basename."""

from datetime import date

from invoices.models import Payment
from invoices.services.payments import payment_record
from portage.tenancy import tenant_context
from tests.factories import make_invoice


def build(tenant):
    invoice = make_invoice(tenant, issued_on=date(2026, 3, 2))
    with tenant_context(tenant):
        payment_record(
            client=invoice.client,
            amount=invoice.total_ttc,
            received_on=date(2026, 3, 5),
            by=None,
            allocations=[(invoice, invoice.total_ttc)],
        )
        payment = Payment.objects.get()
    return {"client": invoice.client_id, "invoice": invoice.pk, "payment": payment.pk}
