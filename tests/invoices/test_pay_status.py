"""The consultant's pay status: the activity account and the invoices agree."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.utils import IntegrityError, ProgrammingError

from consultants.models import LedgerEntry
from consultants.selectors import account_balance
from consultants.services import ledger_adjust, pay_out_record
from invoices.selectors import pay_status
from invoices.services.billing import credit_note_issue
from invoices.services.payments import payment_record, payment_reverse
from portage.models import PayModel
from tests.factories import day_line, make_client, make_consultant, make_invoice

pytestmark = pytest.mark.django_db

D = Decimal
DAY = date(2026, 4, 1)


def pay(invoice, amount):
    return payment_record(
        client=invoice.client,
        amount=D(amount),
        received_on=DAY,
        by=None,
        allocations=[(invoice, D(amount))],
    )


def test_a_payment_credits_the_consultant_the_net_of_what_was_collected(tenant_a, in_tenant):
    consultant = make_consultant(tenant_a, fee_rate="10")
    invoice = make_invoice(tenant_a, consultant=consultant, issued_on=date(2026, 3, 2))
    with in_tenant(tenant_a):
        pay(invoice, "3600")  # half of 7,200 incl. VAT
        kinds = dict(LedgerEntry.objects.values_list("kind", "amount"))
        row = pay_status(consultant=consultant).rows[0]
    assert kinds == {"invoice_collected": D("3000.00"), "management_fee": D("-300.00")}
    assert (row.billed_ht, row.fee, row.net) == (D("6000.00"), D("600.00"), D("5400.00"))
    assert (row.acquired, row.waiting) == (D("2700.00"), D("2700.00"))


def test_a_fully_paid_invoice_credits_exactly_its_net_whatever_the_rounding(tenant_a, in_tenant):
    consultant = make_consultant(tenant_a, fee_rate="7.77")
    invoice = make_invoice(
        tenant_a,
        consultant=consultant,
        issued_on=date(2026, 3, 2),
        lines=[day_line(days="3", rate="333.33")],
    )
    with in_tenant(tenant_a):
        for part in ("333.33", "333.33", "333.33"):
            pay(invoice, part)
        invoice.refresh_from_db()
        pay(invoice, str(invoice.balance))
        row = pay_status(consultant=consultant).rows[0]
    assert row.acquired == row.net == D("999.99") - D("77.70")
    assert row.waiting == 0


def test_the_ledger_and_the_invoices_agree_after_full_partial_and_reversed_payments(
    tenant_a, in_tenant
):
    consultant = make_consultant(tenant_a, fee_rate="12.5")
    client = make_client(tenant_a)
    invoices = [
        make_invoice(
            tenant_a,
            client=client,
            consultant=consultant,
            issued_on=date(2026, 3, n),
            lines=[day_line(days=str(n), rate="512.37")],
        )
        for n in (2, 3, 4, 5)
    ]
    full, partial, reversed_, credited = invoices
    with in_tenant(tenant_a):
        pay(full, str(full.total_ttc))
        pay(partial, "1000.01")
        payment_reverse(payment=pay(reversed_, "777.77"), reason="Rejet", by=None)
        credit_note_issue(
            invoice=credited,
            by=None,
            reason="Un jour en moins",
            lines=[day_line(days="1", rate="512.37")],
            issued_on=date(2026, 3, 6),
        )
        credited.refresh_from_db()
        pay(credited, str(credited.balance))
        pay_out_record(
            consultant=consultant,
            kind=LedgerEntry.Kind.SALARY_PAID,
            amount=D("1500"),
            booked_on=DAY,
            label="Salaire de mars",
            by=None,
        )
        status = pay_status(consultant=consultant)
        ledger_total = account_balance(consultant=consultant)
        invoice_entries = sum(
            LedgerEntry.objects.filter(invoice_pk__isnull=False).values_list("amount", flat=True)
        )
    by_invoice = {row.invoice.pk: row for row in status.rows}
    # Paid in full (incl. after a credit note): the net, to the cent, and nothing waits.
    for invoice in (full, credited):
        row = by_invoice[invoice.pk]
        assert row.acquired == row.net and row.waiting == 0
    # Reversed: nothing acquired, everything waits.
    assert by_invoice[reversed_.pk].acquired == 0
    assert by_invoice[reversed_.pk].waiting == by_invoice[reversed_.pk].net
    # Partly paid: the net of the share collected.
    row = by_invoice[partial.pk]
    collected_ht = (partial.total_ht * D("1000.01") / partial.total_ttc).quantize(D("0.01"))
    assert row.acquired == collected_ht - (collected_ht * D("0.125")).quantize(D("0.01"))
    # The account is the sum of what the invoices brought, less what was paid out.
    assert status.total("acquired") == invoice_entries
    assert status.balance == ledger_total == invoice_entries - D("1500.00")


def test_under_pay_on_invoicing_the_consultant_is_credited_at_issue(tenant_a, in_tenant):
    tenant_a.pay_model = PayModel.ON_INVOICING
    tenant_a.save()
    consultant = make_consultant(tenant_a, fee_rate="10")
    invoice = make_invoice(tenant_a, consultant=consultant, issued_on=date(2026, 3, 2))
    with in_tenant(tenant_a):
        assert account_balance(consultant=consultant) == D("5400.00")
        pay(invoice, "1000")  # collection does not move the account
        assert account_balance(consultant=consultant) == D("5400.00")
        credit_note_issue(
            invoice=invoice,
            by=None,
            reason="Remise",
            lines=[day_line(days="1")],
            issued_on=date(2026, 3, 3),
        )
        assert account_balance(consultant=consultant) == D("4860.00")
        row = pay_status(consultant=consultant).rows[0]
    assert (row.net, row.acquired, row.waiting) == (D("4860.00"), D("4860.00"), 0)


def test_an_adjustment_states_its_reason(tenant_a, in_tenant):
    consultant = make_consultant(tenant_a)
    with in_tenant(tenant_a):
        with pytest.raises(ValidationError, match="reason"):
            ledger_adjust(consultant=consultant, amount=D("10"), booked_on=DAY, reason="", by=None)
        with pytest.raises(IntegrityError), transaction.atomic():
            LedgerEntry.objects.create(
                tenant=tenant_a,
                consultant=consultant,
                kind="adjustment",
                amount=D("10"),
                booked_on=DAY,
                label="x",
            )
        ledger_adjust(
            consultant=consultant,
            amount=D("-12.50"),
            booked_on=DAY,
            reason="Frais de déplacement non remboursables",
            by=None,
        )
        assert account_balance(consultant=consultant) == D("-12.50")


@pytest.mark.parametrize(
    "statement",
    ["UPDATE consultants_ledgerentry SET amount = 1", "DELETE FROM consultants_ledgerentry"],
)
def test_the_activity_account_is_append_only(tenant_a, in_tenant, statement):
    consultant = make_consultant(tenant_a)
    with in_tenant(tenant_a):
        ledger_adjust(consultant=consultant, amount=D("10"), booked_on=DAY, reason="x", by=None)
        with pytest.raises(ProgrammingError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(statement)
        assert account_balance(consultant=consultant) == D("10.00")


def test_a_credited_invoice_paid_in_full_credits_exactly_its_net_with_mixed_vat_rates(
    tenant_a, in_tenant
):
    consultant = make_consultant(tenant_a, fee_rate="9.99")
    invoice = make_invoice(
        tenant_a,
        consultant=consultant,
        issued_on=date(2026, 3, 2),
        lines=[day_line(days="3", rate="333.37"), day_line(days="1", rate="71.13", vat="5.50")],
    )
    with in_tenant(tenant_a):
        pay(invoice, "401.17")
        credit_note_issue(
            invoice=invoice,
            by=None,
            reason="Remise",
            lines=[day_line(days="1", rate="71.13", vat="5.50")],
            issued_on=date(2026, 3, 3),
        )
        invoice.refresh_from_db()
        pay(invoice, str(invoice.balance))
        row = pay_status(consultant=consultant).rows[0]
    assert row.billed_ht == D("1000.11")
    assert (row.acquired, row.waiting) == (row.net, 0)


def test_changing_the_pay_model_leaves_issued_invoices_on_the_model_they_were_issued_under(
    tenant_a, in_tenant
):
    consultant = make_consultant(tenant_a, fee_rate="10")
    before = make_invoice(tenant_a, consultant=consultant, issued_on=date(2026, 3, 2))
    tenant_a.pay_model = PayModel.ON_INVOICING
    tenant_a.save()
    after = make_invoice(tenant_a, consultant=consultant, issued_on=date(2026, 3, 3))
    with in_tenant(tenant_a):
        pay(before, "7200")
        pay(after, "7200")
        rows = {row.invoice.pk: row for row in pay_status(consultant=consultant).rows}
        balance = account_balance(consultant=consultant)
    assert (before.pay_model, after.pay_model) == ("on_collection", "on_invoicing")
    for invoice in (before, after):
        assert rows[invoice.pk].acquired == rows[invoice.pk].net == D("5400.00")
    assert balance == D("10800.00")  # each invoice credited once
