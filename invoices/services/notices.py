"""The notice to the consultant of each payment a client makes on one of their invoices.

Recorded in the transaction that allocates the payment (one `PaymentNotice` per
allocation, which the database refuses twice), emailed once that transaction commits (or,
if that email could not leave, by the quarter-hourly sweep), and listed on the
consultant's pay page.

A payment reversed later keeps its notice: the consultant was told of a payment that was
received, and the pay page shows it as reversed beside the notice; no second email is sent
(the reversal takes back what the activity account had been credited, which the account
shows). A notice whose allocation was undone before its email left is not emailed.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from invoices.models import PaymentNotice
from invoices.pay import tenant_payout_date
from portage.mail import reply_to_of, sender_of
from portage.models import PayModel, Tenant
from portage.tenancy import all_tenants, tenant_context

logger = logging.getLogger(__name__)


def payment_notice_record(*, allocation, invoice, payment):
    """Record the notice of a client's payment to the consultant of `invoice`, and email it
    once the transaction commits.

    Code du travail, art. L1254-25 (compte d'activité; research/domain-reference.md §4,
    source S75, Légifrance LEGIARTI000030436637): the portage company keeps an activity
    account for each consultant and informs them of what is booked on it, the client's
    payments for the work first (with the management fees, expenses, social and tax
    deductions, net pay); market-2026-12.md §"Activity account": the company must report
    every client payment to the consultant. Here each payment is reported as it is
    allocated, rather than only in the monthly statement: what was received, the
    consultant's share of it (`Invoice.share_of`, net of the fee), what the client still
    owes, and under the pay model on collection the day it is paid out (the company's
    pay-out rule).
    """
    consultant = invoice.consultant
    share = invoice.share_of(allocation.amount)
    on_collection = invoice.pay_model == PayModel.ON_COLLECTION
    notice = PaymentNotice.objects.create(
        tenant=invoice.tenant,
        allocation=allocation,
        invoice=invoice,
        consultant=consultant,
        received_on=payment.received_on,
        amount=allocation.amount,
        share=share.net,
        balance_after=invoice.balance,
        expected_on=(
            tenant_payout_date(invoice.tenant, payment.received_on) if on_collection else None
        ),
        email=consultant.user.email,
    )
    tenant_pk, notice_pk = invoice.tenant_id, notice.pk
    transaction.on_commit(lambda: _send_logged(tenant_pk, notice_pk))
    return notice


def on_payment_allocated(sender, allocation, invoice, payment, **kwargs):
    """Answers `invoices.signals.payment_allocated`."""
    payment_notice_record(allocation=allocation, invoice=invoice, payment=payment)


# A notice whose email did not leave after its commit (the mail server down, the process
# stopped) is sent again by the sweep once it is this old.
SEND_AGAIN_AFTER = timedelta(minutes=10)


def payment_notices_send_due(*, now):
    """Emails every company's notices not emailed `SEND_AGAIN_AFTER` after they were
    recorded (`payment_notice_send`, each under its row's lock, so never twice); returns how
    many left. Run by the beat every quarter of an hour."""
    due = (
        all_tenants(PaymentNotice)
        .filter(sent_at__isnull=True, created_at__lte=now - SEND_AGAIN_AFTER)
        .order_by("tenant_id", "pk")
        .values_list("tenant_id", "pk")
    )
    sent = 0
    for tenant_pk, notice_pk in due:
        sent += _send_logged(tenant_pk, notice_pk)
    return sent


def _send_logged(tenant_pk, notice_pk):
    try:
        return payment_notice_send(tenant_pk=tenant_pk, notice_pk=notice_pk)
    except Exception:
        # Kept unsent: the sweep sends it again (`payment_notices_send_due`).
        logger.exception("Sending payment notice %s failed", notice_pk)
        return False


def payment_notice_send(*, tenant_pk, notice_pk):
    """Email a notice not emailed yet, unless its allocation was undone meanwhile; returns
    whether it was sent. The row is locked, so two senders never send it twice."""
    tenant = Tenant.objects.get(pk=tenant_pk)
    with tenant_context(tenant):
        notice = (
            PaymentNotice.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("allocation", "invoice__client", "consultant__user")
            .filter(pk=notice_pk, sent_at__isnull=True)
            .first()
        )
        if notice is None or not notice.allocation.is_active:
            return False
        context = {
            "notice": notice,
            "tenant": tenant,
            "invoice": notice.invoice,
            "site_url": settings.SITE_URL.rstrip("/") + reverse("portal_pay"),
        }
        with translation.override(settings.LANGUAGE_CODE):
            subject = render_to_string("invoices/email/payment_notice_subject.txt", context)
            body = render_to_string("invoices/email/payment_notice_message.txt", context)
        # From the company, answers to its collections mailbox, as its other emails.
        EmailMessage(
            subject=" ".join(subject.split()),
            body=body,
            from_email=sender_of(tenant),
            to=[notice.email],
            reply_to=reply_to_of(tenant),
        ).send(fail_silently=False)
        notice.sent_at = timezone.now()
        notice.save(update_fields=["sent_at"])
        return True
