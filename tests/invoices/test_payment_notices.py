"""The notice of each client payment to the consultant (Code du travail L1254-25)."""

import smtplib
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import timezone

from invoices.models import PaymentNotice
from invoices.services.notices import payment_notice_send, payment_notices_send_due
from invoices.services.payments import payment_allocate, payment_record, payment_reverse
from portage.mail import sender_of
from portage.tenancy import PLATFORM_DB
from tests.factories import make_client, make_consultant, make_invoice

pytestmark = pytest.mark.django_db

D = Decimal
RECEIVED = date(2026, 4, 15)


@pytest.fixture
def invoice(tenant_a):
    consultant = make_consultant(tenant_a, fee_rate="10")
    return make_invoice(tenant_a, consultant=consultant, issued_on=date(2026, 3, 2))


def pay(invoice, amount, **kwargs):
    return payment_record(
        client=invoice.client,
        amount=D(amount),
        received_on=RECEIVED,
        by=None,
        allocations=[(invoice, D(amount))],
        **kwargs,
    )


def test_a_payment_is_notified_to_the_consultant_once_it_is_committed(
    tenant_a, in_tenant, invoice, django_capture_on_commit_callbacks
):
    with in_tenant(tenant_a), django_capture_on_commit_callbacks(execute=True):
        pay(invoice, "3600")  # half of 7,200 incl. VAT
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [invoice.consultant.user.email]
    assert invoice.number in message.subject
    assert "L1254-25" in message.body
    with in_tenant(tenant_a):
        notice = PaymentNotice.objects.get()
    assert (notice.amount, notice.share, notice.balance_after) == (
        D("3600.00"),
        D("2700.00"),
        D("3600.00"),
    )
    assert notice.expected_on == date(2026, 5, 31)
    assert notice.sent_at is not None


def test_nothing_is_notified_when_the_payment_rolls_back(
    tenant_a, in_tenant, invoice, django_capture_on_commit_callbacks
):
    with in_tenant(tenant_a), django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                pay(invoice, "3600")
                raise RuntimeError
        except RuntimeError:
            pass
    assert mail.outbox == []


def test_each_allocation_of_a_payment_is_notified_once(
    tenant_a, in_tenant, invoice, django_capture_on_commit_callbacks
):
    with in_tenant(tenant_a), django_capture_on_commit_callbacks(execute=True):
        payment = payment_record(
            client=invoice.client, amount=D("5000"), received_on=RECEIVED, by=None
        )
        payment_allocate(payment=payment, invoice=invoice, amount=D("1000"), by=None)
        payment_allocate(payment=payment, invoice=invoice, amount=D("2000"), by=None)
    assert len(mail.outbox) == 2
    with in_tenant(tenant_a):
        assert PaymentNotice.objects.count() == 2
        notice = PaymentNotice.objects.first()
        # Sending it again sends nothing.
        assert payment_notice_send(tenant_pk=tenant_a.pk, notice_pk=notice.pk) is False
    assert len(mail.outbox) == 2


def test_the_database_refuses_a_second_notice_of_one_allocation(tenant_a, in_tenant, invoice):
    with in_tenant(tenant_a):
        pay(invoice, "1000")
        notice = PaymentNotice.objects.get()
        notice.pk = None
        with pytest.raises(IntegrityError), transaction.atomic():
            notice.save()


def test_a_reversed_payment_keeps_its_notice_and_sends_no_other(
    tenant_a, in_tenant, invoice, django_capture_on_commit_callbacks
):
    with in_tenant(tenant_a), django_capture_on_commit_callbacks(execute=True):
        payment = pay(invoice, "1000")
    with in_tenant(tenant_a), django_capture_on_commit_callbacks(execute=True):
        payment_reverse(payment=payment, reason="Chèque impayé", by=None)
    assert len(mail.outbox) == 1
    with in_tenant(tenant_a):
        notice = PaymentNotice.objects.select_related("allocation").get()
    assert not notice.allocation.is_active


def test_a_notice_whose_allocation_was_undone_before_it_left_is_not_sent(
    tenant_a, in_tenant, invoice
):
    with in_tenant(tenant_a):
        payment = pay(invoice, "1000")  # its email waits for a commit that never comes
        payment_reverse(payment=payment, reason="Saisie en double", by=None)
        notice = PaymentNotice.objects.get()
        assert payment_notice_send(tenant_pk=tenant_a.pk, notice_pk=notice.pk) is False
    assert mail.outbox == []


def test_the_notice_of_another_client_s_payment_goes_to_its_own_consultant(
    tenant_a, in_tenant, django_capture_on_commit_callbacks
):
    first = make_invoice(tenant_a, consultant=make_consultant(tenant_a), issued_on=RECEIVED)
    second = make_invoice(
        tenant_a,
        client=make_client(tenant_a),
        consultant=make_consultant(tenant_a),
        issued_on=RECEIVED,
    )
    with in_tenant(tenant_a), django_capture_on_commit_callbacks(execute=True):
        pay(first, "100")
        pay(second, "200")
    assert [m.to for m in mail.outbox] == [
        [first.consultant.user.email],
        [second.consultant.user.email],
    ]


def test_the_notice_comes_from_the_company_and_answers_go_to_its_mailbox(
    tenant_a, in_tenant, invoice, django_capture_on_commit_callbacks
):
    """The consultant reads the notice from the company (its sender name and address, as
    every email it sends), and an answer reaches its collections mailbox."""
    tenant_a.sender_name = "Alpha Portage Paie"
    tenant_a.sender_email = "paie@alpha.example"
    tenant_a.reply_to_email = "recouvrement@alpha.example"
    tenant_a.save(update_fields=["sender_name", "sender_email", "reply_to_email"])
    with in_tenant(tenant_a), django_capture_on_commit_callbacks(execute=True):
        pay(invoice, "3600")
    [message] = mail.outbox
    assert message.from_email == "Alpha Portage Paie <paie@alpha.example>"
    assert message.reply_to == ["recouvrement@alpha.example"]


@pytest.mark.django_db(transaction=True, databases=["default", PLATFORM_DB])
def test_a_notice_whose_email_did_not_leave_is_sent_by_the_sweep_once(
    tenant_a, tenant_b, in_tenant, monkeypatch
):
    """The mail server refuses the email after the payment's commit: the notice is kept
    unsent (the payment stands), then the quarter-hourly sweep sends it, once, and each
    company's notice from that company; a notice whose allocation was undone stays unsent."""
    mine = make_invoice(tenant_a, consultant=make_consultant(tenant_a), issued_on=RECEIVED)
    theirs = make_invoice(tenant_b, consultant=make_consultant(tenant_b), issued_on=RECEIVED)
    undone = make_invoice(tenant_a, consultant=make_consultant(tenant_a), issued_on=RECEIVED)

    def refused(message, fail_silently=False):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    with monkeypatch.context() as down:
        down.setattr(EmailMessage, "send", refused)
        for tenant, invoice in ((tenant_a, mine), (tenant_b, theirs), (tenant_a, undone)):
            with in_tenant(tenant):
                payment = pay(invoice, "100")
        with in_tenant(tenant_a):
            payment_reverse(payment=payment, reason="Saisie en double", by=None)
    assert mail.outbox == []
    recorded = timezone.now()
    # Too soon: its own email may still be on its way.
    assert payment_notices_send_due(now=recorded) == 0
    later = recorded + timedelta(minutes=11)
    assert payment_notices_send_due(now=later) == 2
    assert payment_notices_send_due(now=later) == 0
    assert sorted((m.to[0], m.from_email) for m in mail.outbox) == sorted(
        [
            (mine.consultant.user.email, sender_of(tenant_a)),
            (theirs.consultant.user.email, sender_of(tenant_b)),
        ]
    )
    with in_tenant(tenant_a):
        sent = PaymentNotice.objects.order_by("pk").values_list("sent_at", flat=True)
        assert [day is not None for day in sent] == [True, False]
