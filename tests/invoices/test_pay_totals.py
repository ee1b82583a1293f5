"""The consultant's home sums their pay status in the database: its figures are exactly
those of `pay_status` (read invoice by invoice for the pay page), whatever the invoices'
states and however their fees round."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from consultants.models import LedgerEntry
from consultants.services import ledger_adjust, ledger_post, pay_out_record
from invoices.selectors import pay_status, pay_totals
from invoices.services.billing import credit_note_issue
from invoices.services.payments import payment_record, payment_reverse
from portage.tenancy import tenant_context
from tests.factories import day_line, make_client, make_consultant, make_invoice

pytestmark = pytest.mark.django_db

D = Decimal
DAY = date(2026, 4, 1)
COLUMNS = ("billed_ht", "fee", "net", "acquired", "indemnified", "lost", "waiting")


def pay(invoice, amount):
    return payment_record(
        client=invoice.client,
        amount=D(amount),
        received_on=DAY,
        by=None,
        allocations=[(invoice, D(amount))],
    )


def issued(tenant, consultant, client, fee_rate, lines, day):
    """An invoice issued at `fee_rate` (the rate is frozen on the invoice)."""
    consultant.fee_rate = D(fee_rate)
    with tenant_context(tenant):
        consultant.save(update_fields=["fee_rate"])
    return make_invoice(
        tenant, client=client, consultant=consultant, lines=lines, issued_on=date(2026, 3, day)
    )


def a_consultant_with_invoices_in_every_state(tenant, in_tenant):
    consultant = make_consultant(tenant)
    client = make_client(tenant)
    # Fees landing on a half cent (333 × 12.5 % = 41.625, 1 × 0.5 % = 0.005, 1,110 × 4.45 %
    # = 49.395): rounded half up, where rounding half to even would differ.
    half = issued(tenant, consultant, client, "12.50", [day_line(days="1", rate="333.00")], 2)
    issued(tenant, consultant, client, "0.50", [day_line(days="1", rate="1.00")], 3)
    third = issued(tenant, consultant, client, "4.45", [day_line(days="2", rate="555.00")], 4)
    paid = issued(tenant, consultant, client, "7.77", [day_line(days="3", rate="333.33")], 5)
    partly = issued(tenant, consultant, client, "12.5", [day_line(days="7", rate="512.37")], 6)
    reversed_ = issued(tenant, consultant, client, "10", [day_line(days="2", rate="777.77")], 7)
    credited = issued(
        tenant,
        consultant,
        client,
        "9.99",
        [day_line(days="3", rate="333.37"), day_line(days="1", rate="71.13", vat="5.50")],
        8,
    )
    cancelled = issued(tenant, consultant, client, "15", [day_line(days="2", rate="450.55")], 9)
    indemnified = issued(tenant, consultant, client, "8.25", [day_line(days="5", rate="610")], 10)
    untouched = issued(tenant, consultant, client, "11.11", [day_line(days="4", rate="99.99")], 11)
    make_invoice(tenant, client=client, consultant=consultant)  # a draft: not in the pay
    with in_tenant(tenant):
        for part in ("333.33", "333.33", "333.33"):
            pay(paid, part)
        paid.refresh_from_db()
        pay(paid, str(paid.balance))
        pay(half, str(half.total_ttc))
        pay(partly, "1000.01")
        pay(third, "0.03")
        payment_reverse(payment=pay(reversed_, "777.77"), reason="Rejet", by=None)
        pay(credited, "401.17")
        credit_note_issue(
            invoice=credited,
            by=None,
            reason="Remise",
            lines=[day_line(days="1", rate="71.13", vat="5.50")],
            issued_on=date(2026, 3, 20),
        )
        credit_note_issue(
            invoice=cancelled,
            by=None,
            reason="Annulée",
            lines=[day_line(days="2", rate="450.55")],
            issued_on=date(2026, 3, 21),
        )
        ledger_post(
            consultant=consultant,
            kind=LedgerEntry.Kind.INDEMNITY_RECEIVED,
            amount=D("2516.63"),
            booked_on=DAY,
            label=f"{indemnified.number} · S1",
            invoice=indemnified,
        )
        pay_out_record(
            consultant=consultant,
            kind=LedgerEntry.Kind.SALARY_PAID,
            amount=D("1500"),
            booked_on=DAY,
            label="Salaire de mars",
            by=None,
        )
        ledger_adjust(consultant=consultant, amount=D("-12.55"), booked_on=DAY, reason="x", by=None)
    assert untouched.status == "issued"
    return consultant


def test_the_homes_totals_are_exactly_the_pay_status_totals(tenant_a, in_tenant):
    consultant = a_consultant_with_invoices_in_every_state(tenant_a, in_tenant)
    colleague = make_consultant(tenant_a)
    make_invoice(tenant_a, consultant=colleague, issued_on=date(2026, 3, 12))
    with in_tenant(tenant_a):
        status = pay_status(consultant=consultant)
        totals = pay_totals(consultant=consultant)
    assert len(status.rows) == 10
    # The rounding is per invoice: summing the unrounded fees would give another figure.
    assert status.total("fee") != sum(
        ((row.billed_ht * row.invoice.fee_rate / 100) for row in status.rows), D(0)
    ).quantize(D("0.01"))
    for name in COLUMNS:
        # str(): the same figure with the same number of decimals, as the page prints it.
        assert str(totals.total(name)) == str(status.total(name)), name
    assert str(totals.balance) == str(status.balance)
    assert totals.indemnified == D("2516.63") and totals.acquired > 0 and totals.waiting > 0


def test_a_consultant_without_invoices_has_zero_totals(tenant_a, in_tenant):
    consultant = make_consultant(tenant_a)
    with in_tenant(tenant_a):
        status = pay_status(consultant=consultant)
        totals = pay_totals(consultant=consultant)
    for name in COLUMNS:
        assert str(totals.total(name)) == str(status.total(name)) == "0.00", name
    assert str(totals.balance) == str(status.balance) == "0.00"


def test_the_home_shows_the_pay_page_figures_with_a_query_count_independent_of_invoices(
    client, tenant_a, in_tenant
):
    consultant = a_consultant_with_invoices_in_every_state(tenant_a, in_tenant)
    client.force_login(consultant.user)
    home = client.get(reverse("dashboard"))
    pay_page = client.get(reverse("portal_pay"))
    for name in ("acquired", "waiting"):
        assert home.context["status"].total(name) == pay_page.context["status"].total(name)
    assert home.context["status"].balance == pay_page.context["status"].balance
    with CaptureQueriesContext(connection) as before:
        client.get(reverse("dashboard"))
    for day in range(12, 16):
        make_invoice(tenant_a, consultant=consultant, issued_on=date(2026, 3, day))
    with CaptureQueriesContext(connection) as after:
        client.get(reverse("dashboard"))
    assert len(after) == len(before)
