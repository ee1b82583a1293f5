"""50 payments recorded at the same moment on one invoice, from 50 connections: the invoice
is paid exactly once over, a payment that no longer fits is refused whole (nothing recorded),
and what each accepted payment brought beyond its allocation is the client's credit, to the
cent. (The service, as the API and the pages call it: 50 API calls at once would each hold
two connections, beyond the shared test server's 100.)"""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import Sum

from consultants.models import LedgerEntry
from invoices.models import Allocation, Invoice, Payment
from invoices.services.payments import payment_record, unallocated
from portage.models import PayModel
from portage.tenancy import PLATFORM_DB, tenant_context
from tests.factories import make_invoice
from tests.helpers import caller

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", PLATFORM_DB])

CONCURRENT = 50
PAID = Decimal("250.00")  # each payment: 200.00 on the invoice, 50.00 left as credit
ON_INVOICE = Decimal("200.00")


def test_fifty_payments_at_once_on_one_invoice_never_pay_it_beyond_its_total(tenant_a, tenant_b):
    invoice = make_invoice(tenant_a, issued_on=date(2026, 3, 2))
    assert invoice.total_ttc == Decimal("7200.00")  # 36 allocations of 200.00 fit, no more
    other = make_invoice(tenant_b, issued_on=date(2026, 3, 2))
    start = threading.Barrier(CONCURRENT)

    def pay(_):
        try:
            start.wait(timeout=60)
            with tenant_context(tenant_a):
                payment_record(
                    client=invoice.client,
                    amount=PAID,
                    received_on=date(2026, 4, 1),
                    by=None,
                    allocations=[(invoice, ON_INVOICE)],
                )
            return "recorded"
        except ValidationError as refusal:
            # Beyond the balance still due, or the invoice already paid in full.
            return "refused" if invoice.number in str(refusal) else str(refusal)
        finally:
            connections.close_all()  # each thread had its own connection

    with ThreadPoolExecutor(max_workers=CONCURRENT) as pool:
        answers = sorted(pool.map(pay, range(CONCURRENT)))

    assert answers == ["recorded"] * 36 + ["refused"] * 14

    with tenant_context(tenant_a):
        invoice = Invoice.objects.get(pk=invoice.pk)
        assert invoice.paid_amount == invoice.total_ttc
        assert invoice.status == Invoice.Status.PAID
        payments = list(Payment.objects.filter(client=invoice.client_id))
        assert len(payments) == 36  # a refused payment recorded nothing
        allocated = Allocation.objects.filter(invoice=invoice, is_active=True)
        assert allocated.aggregate(total=Sum("amount"))["total"] == Decimal("7200.00")
        credit = sum((unallocated(payment) for payment in payments), Decimal("0.00"))
        assert credit == 36 * (PAID - ON_INVOICE)
        assert invoice.pay_model == PayModel.ON_COLLECTION
        ledger = dict(
            LedgerEntry.objects.filter(invoice_pk=invoice.pk)
            .values_list("kind")
            .annotate(total=Sum("amount"))
        )
        # Collected: the whole net excl. VAT, less the fee at 10 %, posted once over.
        assert ledger[LedgerEntry.Kind.INVOICE_COLLECTED] == Decimal("6000.00")
        assert ledger[LedgerEntry.Kind.MANAGEMENT_FEE] == Decimal("-600.00")

    # The other company saw none of it, and its invoice is still due.
    reader_b = caller(tenant_b, "read")
    assert reader_b.get("/api/v1/payments/").json()["results"] == []
    assert reader_b.get(f"/api/v1/invoices/{other.pk}/").json()["status"] == "issued"
    assert reader_b.get(f"/api/v1/invoices/{invoice.pk}/").status_code == 404
