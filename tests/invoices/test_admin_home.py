"""The administrator's home shows the company's receivables: what clients owe, what of it
is overdue, and the days of sales outstanding, worked by hand."""

from datetime import date
from decimal import Decimal

import pytest

from invoices.selectors import receivables
from invoices.services.payments import payment_record
from portage.tenancy import tenant_context
from tests.factories import day_line, make_invoice, make_member

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = date(2026, 6, 30)


def test_receivables_and_days_of_sales_outstanding(tenant_a, tenant_b):
    """Three invoices of 7 200 TTC (2 March, 4 May) and 3 600 TTC (15 June), due 30 days
    after issue; 1 200 paid on the May one. Owed on 30 June: 7 200 + 6 000 + 3 600 =
    16 800, of which past due: March (due 1 April) and May (due 3 June), 13 200. Invoiced
    over the 90 days to 30 June (from 2 April): 7 200 + 3 600 = 10 800, so DSO = 16 800 ×
    90 / 10 800 = 140 days. Another company's invoice counts for nothing."""
    make_invoice(tenant_a, issued_on=date(2026, 3, 2))
    may = make_invoice(tenant_a, issued_on=date(2026, 5, 4))
    make_invoice(tenant_a, lines=[day_line(days="5")], issued_on=date(2026, 6, 15))
    make_invoice(tenant_b, issued_on=date(2026, 6, 1))  # another company's
    with tenant_context(tenant_a):
        payment_record(
            client=may.client,
            amount=D("1200.00"),
            received_on=date(2026, 6, 10),
            by=None,
            allocations=[(may, D("1200.00"))],
        )
        figures = receivables(tenant=tenant_a, today=TODAY)
    assert (figures["outstanding"], figures["open_count"]) == (D("16800.00"), 3)
    # Past due on 30 June: March (due 1 April) and May (due 3 June, 6 000 left).
    assert figures["overdue"] == {"count": 2, "amount": D("13200.00")}
    assert figures["dso"] == 140


def test_without_sales_in_the_last_90_days_there_is_no_dso(tenant_a):
    make_invoice(tenant_a, issued_on=date(2026, 1, 5))
    with tenant_context(tenant_a):
        assert receivables(tenant=tenant_a, today=TODAY)["dso"] is None


def test_the_admin_home_shows_the_figures(tenant_a, signed_in):
    make_invoice(tenant_a, issued_on=date(2026, 6, 1))
    page = signed_in(make_member(tenant_a, "admin")).get("/")
    text = page.content.decode()
    assert "invoices/home/admin.html" in [t.name for t in page.templates]
    assert "7 200,00" in text.replace("\u202f", " ").replace("\xa0", " ")
