"""Payments: allocation, partial payments, credit kept, reversal; statuses and exposure follow."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.utils import ProgrammingError

from invoices.models import Allocation, Invoice, Payment
from invoices.selectors import client_credit, client_exposure, clients_with_exposure
from invoices.services.payments import payment_allocate, payment_record, payment_reverse
from tests.factories import make_client, make_consultant, make_invoice

pytestmark = pytest.mark.django_db

D = Decimal
PAID_ON = date(2026, 4, 1)


@pytest.fixture
def client_a(tenant_a):
    return make_client(tenant_a)


@pytest.fixture
def two_invoices(tenant_a, client_a):
    consultant = make_consultant(tenant_a)
    return [
        make_invoice(tenant_a, client=client_a, consultant=consultant, issued_on=date(2026, 3, 2))
        for _ in range(2)
    ]  # 7,200.00 each


def pay(tenant, client, amount, allocations=(), in_tenant=None):
    with in_tenant(tenant):
        return payment_record(
            client=client,
            amount=D(amount),
            received_on=PAID_ON,
            by=None,
            allocations=[(invoice, D(part)) for invoice, part in allocations],
        )


def fresh(invoice, in_tenant):
    with in_tenant(invoice.tenant):
        return Invoice.objects.get(pk=invoice.pk)


def test_a_partial_payment_leaves_the_balance_due(tenant_a, client_a, two_invoices, in_tenant):
    first, _ = two_invoices
    pay(tenant_a, client_a, "2000", [(first, "2000")], in_tenant)
    first = fresh(first, in_tenant)
    assert (first.status, first.paid_amount, first.balance) == (
        "partially_paid",
        D("2000.00"),
        D("5200.00"),
    )


def test_one_payment_can_settle_several_invoices(tenant_a, client_a, two_invoices, in_tenant):
    first, second = two_invoices
    pay(tenant_a, client_a, "14400", [(first, "7200"), (second, "7200")], in_tenant)
    assert {fresh(i, in_tenant).status for i in two_invoices} == {"paid"}
    with in_tenant(tenant_a):
        assert client_exposure(client=client_a) == 0


def test_an_overpayment_is_kept_as_credit_and_allocated_later(
    tenant_a, client_a, two_invoices, in_tenant
):
    first, second = two_invoices
    payment = pay(tenant_a, client_a, "9000", [(first, "7200")], in_tenant)
    with in_tenant(tenant_a):
        assert client_credit(client=client_a) == D("1800.00")
        payment_allocate(payment=payment, invoice=second, amount=D("1800"), by=None)
        assert client_credit(client=client_a) == 0
        with pytest.raises(ValidationError, match="left to allocate"):
            payment_allocate(payment=payment, invoice=second, amount=D("1"), by=None)
    assert fresh(second, in_tenant).status == "partially_paid"


def test_allocating_beyond_an_invoices_balance_is_refused(
    tenant_a, client_a, two_invoices, in_tenant
):
    first, _ = two_invoices
    with pytest.raises(ValidationError, match="still due"):
        pay(tenant_a, client_a, "8000", [(first, "8000")], in_tenant)
    with in_tenant(tenant_a):
        assert not Payment.objects.exists()


def test_allocations_beyond_the_payment_are_refused(tenant_a, client_a, two_invoices, in_tenant):
    first, second = two_invoices
    with pytest.raises(ValidationError, match="more than the payment"):
        pay(tenant_a, client_a, "100", [(first, "60"), (second, "60")], in_tenant)


def test_another_clients_invoice_cannot_be_settled(tenant_a, client_a, two_invoices, in_tenant):
    other_client = make_client(tenant_a)
    with pytest.raises(ValidationError, match="is not"):
        pay(tenant_a, other_client, "100", [(two_invoices[0], "100")], in_tenant)


def test_a_reversal_undoes_the_allocations_and_reopens_the_invoices(
    tenant_a, client_a, two_invoices, in_tenant
):
    first, second = two_invoices
    payment = pay(tenant_a, client_a, "10000", [(first, "7200"), (second, "2800")], in_tenant)
    with in_tenant(tenant_a):
        payment_reverse(payment=payment, reason="Chèque impayé", by=None)
        payment.refresh_from_db()
        assert not Allocation.objects.filter(is_active=True).exists()
        assert Allocation.objects.count() == 2  # undone, not deleted
        assert client_exposure(client=client_a) == D("14400.00")
        with pytest.raises(ValidationError, match="already reversed"):
            payment_reverse(payment=payment, reason="again", by=None)
    assert (payment.status, payment.reversal_reason) == ("reversed", "Chèque impayé")
    assert [fresh(i, in_tenant).status for i in two_invoices] == ["issued", "issued"]


def test_a_reversal_needs_a_reason(tenant_a, client_a, two_invoices, in_tenant):
    payment = pay(tenant_a, client_a, "100", [(two_invoices[0], "100")], in_tenant)
    with in_tenant(tenant_a), pytest.raises(ValidationError, match="reason"):
        payment_reverse(payment=payment, reason=" ", by=None)


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM invoices_payment WHERE id = %(payment)s",
        "UPDATE invoices_payment SET amount = 1 WHERE id = %(payment)s",
        "DELETE FROM invoices_allocation WHERE payment_id = %(payment)s",
        "UPDATE invoices_allocation SET amount = 1 WHERE payment_id = %(payment)s",
    ],
)
def test_the_database_keeps_payments_and_allocations_as_recorded(
    tenant_a, client_a, two_invoices, in_tenant, statement
):
    payment = pay(tenant_a, client_a, "100", [(two_invoices[0], "100")], in_tenant)
    with in_tenant(tenant_a):
        with pytest.raises(ProgrammingError), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(statement, {"payment": payment.pk})
        assert Payment.objects.get().amount == D("100.00")


def test_exposure_is_the_unpaid_ttc_of_issued_invoices(tenant_a, client_a, two_invoices, in_tenant):
    make_invoice(tenant_a, client=client_a)  # a draft owes nothing
    pay(tenant_a, client_a, "1000", [(two_invoices[0], "1000")], in_tenant)
    with in_tenant(tenant_a):
        assert client_exposure(client=client_a) == D("13400.00")
        listed = {c.pk: c.exposure for c in clients_with_exposure(tenant=tenant_a)}
    assert listed == {client_a.pk: D("13400.00")}


def test_no_tenant_sees_the_others_payments(tenant_a, tenant_b, client_a, two_invoices, in_tenant):
    pay(tenant_a, client_a, "100", [(two_invoices[0], "100")], in_tenant)
    with in_tenant(tenant_b):
        assert not Payment.objects.exists()
        assert not Allocation.objects.exists()
