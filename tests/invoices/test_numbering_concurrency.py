"""50 invoices issued at the same moment from 50 connections: no gap, no duplicate, in order."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from django.db import connection

from invoices.models import Invoice
from invoices.services.billing import invoice_issue
from portage.tenancy import tenant_context
from tests.factories import make_client, make_consultant, make_invoice

pytestmark = pytest.mark.django_db(transaction=True)

CONCURRENT = 50


def test_fifty_invoices_issued_at_once_get_fifty_consecutive_numbers(tenant_a, tenant_b):
    client, consultant = make_client(tenant_a), make_consultant(tenant_a)
    drafts = [
        make_invoice(tenant_a, client=client, consultant=consultant) for _ in range(CONCURRENT)
    ]
    other_tenant_draft = make_invoice(tenant_b)
    start = threading.Barrier(CONCURRENT)

    def issue(draft):
        try:
            start.wait(timeout=60)
            with tenant_context(tenant_a):
                return invoice_issue(invoice=draft, by=None, issued_on=date(2026, 3, 2)).number
        finally:
            connection.close()  # each thread had its own connection

    with ThreadPoolExecutor(max_workers=CONCURRENT) as pool:
        numbers = list(pool.map(issue, drafts))

    expected = [f"FA-2026-{n:06d}" for n in range(1, CONCURRENT + 1)]
    assert sorted(numbers) == expected
    with tenant_context(tenant_a):
        in_issue_order = list(
            Invoice.objects.order_by("issued_at", "pk").values_list("number", flat=True)
        )
    assert in_issue_order == expected  # chronological: numbers follow the order of issue
    with tenant_context(tenant_b):
        other = invoice_issue(invoice=other_tenant_draft, by=None, issued_on=date(2026, 3, 2))
    assert other.number == "FA-2026-000001"
