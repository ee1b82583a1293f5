"""Whatever happens to a consultant's invoices (issue, partial and full payments, reversals,
credit notes, an indemnity and the client's payments after it), the consultant's activity
account, the pay status read invoice by invoice, the pay totals PostgreSQL sums and the
company's accounting tell the same amounts, to the cent; and each money fact of an invoice
is the same read in Python and computed by the database (`invoices.amounts`)."""

from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounting.selectors import account_balances, client_aux, journal_entries
from consultants.models import LedgerEntry
from consultants.selectors import account_balance
from insurance.models import Claim
from insurance.services.batch import run_insurance
from insurance.services.claims import claim_file, claim_indemnify
from invoices import amounts
from invoices.models import Invoice, Payment
from invoices.selectors import pay_status, pay_totals
from invoices.services.billing import credit_note_issue
from invoices.services.payments import payment_record, payment_reverse
from portage.models import PayModel
from portage.money import ZERO, to_cents
from portage.tenancy import tenant_context
from tests.factories import day_line, make_invoice
from tests.insurance.test_cover_and_claims import DUE, ISSUED, covered_invoice

pytestmark = pytest.mark.django_db
D = Decimal
INDEMNIFIED_ON = date(2026, 9, 1)
COLUMNS = ("billed_ht", "fee", "net", "acquired", "indemnified", "lost", "waiting")


class Rollback(Exception):
    """Undoes one example's writes, so the next starts from the same company."""


FEE_RATES = st.sampled_from(["10.00", "12.50", "7.77", "4.45", "0.50"])
LINE = st.builds(
    day_line,
    days=st.sampled_from(["1", "2.5", "3", "7", "10"]),
    rate=st.sampled_from(["333.33", "512.37", "555.00", "777.77", "1.00"]),
    vat=st.sampled_from(["20.00", "10.00", "5.50"]),
)
FRACTION = st.decimals(min_value=D("0.01"), max_value=D("1"), places=2)
# What happens, in order: to which of the four invoices (the fourth is the indemnified one).
OPERATION = st.one_of(
    st.tuples(st.just("pay"), st.integers(0, 3), FRACTION),
    st.tuples(st.just("credit"), st.integers(0, 2), FRACTION),
    st.tuples(st.just("reverse"), st.integers(0, 5), st.just(None)),
)


def indemnify(tenant, collector):
    """The company's covered invoice (7 200 TTC, 6 000 HT), claimed and indemnified 4 900
    on 1 September 2026."""
    _policy, invoice = covered_invoice(tenant)
    run_insurance(tenant=tenant, today=DUE + timedelta(days=150))
    claim = Claim.objects.get(lines__invoice=invoice)
    claim_file(claim=claim, actor=collector, filed_on=date(2026, 8, 30))
    claim_indemnify(
        claim=claim,
        actor=collector,
        amount=D("4900.00"),
        paid_on=INDEMNIFIED_ON,
        today=INDEMNIFIED_ON + timedelta(days=1),
    )
    return Invoice.objects.get(pk=invoice.pk)


def fresh(invoice):
    return Invoice.objects.get(pk=invoice.pk)


def apply(operation, invoices, payments, day, collector):
    kind, index, fraction = operation
    if kind == "reverse":
        active = [p for p in payments if p.status == Payment.Status.ACTIVE]
        if active:
            payment = active[index % len(active)]
            payment_reverse(payment=payment, reason="Chèque impayé", by=collector, booked_on=day)
            payment.refresh_from_db()
        return
    invoice = fresh(invoices[index])
    if invoice.balance <= 0:
        return
    if kind == "pay":
        amount = max(to_cents(invoice.balance * fraction), D("0.01"))
        payment = payment_record(
            client=invoice.client,
            amount=amount,
            received_on=day,
            by=collector,
            allocations=[(invoice, amount)],
        )
        payments.append(payment)
        return
    # A credit note of one line at the rate of the invoice's first, within what is unpaid.
    rate = invoice.lines.first().vat_rate
    excl_vat = (invoice.balance * fraction / (1 + rate / 100)).quantize(
        D("0.01"), rounding=ROUND_DOWN
    )
    if excl_vat > 0:
        credit_note_issue(
            invoice=invoice,
            by=collector,
            reason="Remise",
            lines=[day_line(days="1", rate=str(excl_vat), vat=str(rate))],
            issued_on=day,
        )


def check_the_invoice_facts_agree(invoices):
    annotated = Invoice.objects.filter(pk__in=[i.pk for i in invoices]).annotate(
        db_balance=amounts.balance(),
        db_due=amounts.due(),
        db_billed=amounts.billed_ht(),
        db_fee=amounts.fee(),
        db_net=amounts.net(),
    )
    for invoice in annotated:
        assert (invoice.db_balance, invoice.db_due) == (invoice.balance, invoice.due)
        assert (invoice.db_billed, invoice.db_fee, invoice.db_net) == (
            invoice.billed_ht,
            invoice.fee,
            invoice.net,
        )
        assert invoice.is_open == (invoice.balance > 0)
        assert Invoice.objects.filter(amounts.is_open(), pk=invoice.pk).exists() == (
            invoice.is_open
        )


def check_the_consultant_agrees(consultant, covered, pay_model):
    status = pay_status(consultant=consultant)
    totals = pay_totals(consultant=consultant)
    entries = LedgerEntry.objects.filter(consultant=consultant)
    ledger = sum((e.amount for e in entries), ZERO)
    assert status.balance == totals.balance == account_balance(consultant=consultant) == ledger
    for column in COLUMNS:
        assert status.total(column) == totals.total(column), column
    for row in status.rows:
        invoice = row.invoice
        posted = sum((e.amount for e in entries if e.invoice_pk == invoice.pk), ZERO)
        # Everything the account holds for the invoice is what it acquired and what the
        # insurer's money left the consultant.
        assert row.acquired + row.indemnified == posted
        assert (row.billed_ht, row.fee, row.net) == (invoice.billed_ht, invoice.fee, invoice.net)
        if pay_model == PayModel.ON_INVOICING:
            assert row.acquired == invoice.net
        elif invoice.pk != covered.pk:
            # On collection: the consultant's share of what the client paid, to the cent.
            assert row.acquired == invoice.share_of(invoice.paid_amount).net
        if invoice.due > 0 and invoice.paid_amount == invoice.due:
            assert row.waiting == ZERO  # paid in full: nothing waits
    return status


def check_the_accounts_agree(tenant, client, invoices):
    entries = journal_entries(tenant=tenant, date_from=date(2026, 1, 1), date_to=date(2026, 12, 31))
    balances = account_balances(entries)
    owed = sum((fresh(i).balance for i in invoices if i.client_id == client.pk), ZERO)
    assert balances.get(("411000", client_aux(client)), ZERO) == owed


@pytest.mark.property
@pytest.mark.parametrize("pay_model", [PayModel.ON_COLLECTION, PayModel.ON_INVOICING])
def test_ledger_pay_status_pay_totals_and_accounts_agree_to_the_cent(tenant_a, member, pay_model):
    collector = member(tenant_a, "collector").user
    tenant_a.pay_model = pay_model
    tenant_a.save(update_fields=["pay_model"])
    with tenant_context(tenant_a):
        indemnified = indemnify(tenant_a, collector)

    @settings(
        max_examples=20,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        fee_rate=FEE_RATES,
        lines=st.lists(st.lists(LINE, min_size=1, max_size=2), min_size=3, max_size=3),
        operations=st.lists(OPERATION, min_size=1, max_size=8),
    )
    def example(fee_rate, lines, operations):
        try:
            with transaction.atomic(), tenant_context(tenant_a):
                covered = fresh(indemnified)
                consultant = covered.consultant
                consultant.fee_rate = D(fee_rate)
                consultant.save(update_fields=["fee_rate"])
                invoices = [
                    make_invoice(
                        tenant_a,
                        client=covered.client,
                        consultant=consultant,
                        lines=invoice_lines,
                        issued_on=ISSUED + timedelta(days=index),
                    )
                    for index, invoice_lines in enumerate(lines)
                ]
                invoices.append(covered)
                payments = []
                for step, operation in enumerate(operations):
                    day = INDEMNIFIED_ON + timedelta(days=10 + step)
                    apply(operation, invoices, payments, day, collector)
                invoices = [fresh(i) for i in invoices]
                check_the_invoice_facts_agree(invoices)
                check_the_consultant_agrees(consultant, covered, pay_model)
                check_the_accounts_agree(tenant_a, covered.client, invoices)
                raise Rollback
        except Rollback:
            pass

    example()


def test_the_recoveries_after_an_indemnity_add_up_to_the_indemnity_credit(tenant_a, member):
    """The indemnity credits 4 900 − 10 % = 4 410 for the insurer's 4 900 (a cover excl.
    VAT). Paid back in three equal thirds of 7 200 TTC, the insurer's part of each is
    6 000 / 3 × 4 900 / 6 000 = 1 633,33 (and 1 633,34 on the last); taken back one by one,
    each less its fee (1 470,00, 1 470,00, 1 470,01 rounded on its own would be 4 410,01),
    the running total gives back exactly 4 410,00, and the pay status has nothing left
    waiting nor indemnified."""
    collector = member(tenant_a, "collector").user
    with tenant_context(tenant_a):
        invoice = indemnify(tenant_a, collector)
        for step in range(3):
            payment_record(
                client=invoice.client,
                amount=D("2400.00"),
                received_on=INDEMNIFIED_ON + timedelta(days=step + 1),
                by=collector,
                allocations=[(fresh(invoice), D("2400.00"))],
            )
        recoveries = LedgerEntry.objects.filter(
            invoice_pk=invoice.pk, kind=LedgerEntry.Kind.RECOVERY_AFTER_INDEMNITY
        )
        assert sum(e.amount for e in recoveries) == D("-4410.00")
        row = next(
            r for r in pay_status(consultant=invoice.consultant).rows if r.invoice == invoice
        )
        assert (row.acquired, row.indemnified, row.waiting) == (D("5400.00"), ZERO, ZERO)
