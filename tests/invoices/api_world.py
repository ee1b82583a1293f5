"""Billing objects of one company, for the API's cross-company walk
(tests/portage/test_api.py): one id per route basename."""

from datetime import date

from invoices.models import Payment
from invoices.services.bank import statement_import
from invoices.services.billing import mission_create
from invoices.services.payments import payment_record
from portage.tenancy import tenant_context
from tests.factories import make_invoice

STATEMENT = (
    "Date opération;Libellé;Tiers;Montant;Devise;Référence\n"
    "05/03/2026;VIR SEPA RECU /MOTIF ACOMPTE;ACME CONSEIL;1 200,00;EUR;WORLD-1\n"
).encode()


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
        mission = mission_create(
            tenant=tenant,
            consultant=invoice.consultant,
            client=invoice.client,
            by=None,
            title="Audit",
            start_date=date(2026, 3, 1),
            daily_rate="600.00",
        )
        statement = statement_import(
            tenant=tenant, content=STATEMENT, filename="releve.csv", by=None
        ).statement
    return {
        "client": invoice.client_id,
        "invoice": invoice.pk,
        "payment": payment.pk,
        "mission": mission.pk,
        "bank-statement": statement.pk,
    }
