"""Lifecycle statuses (XP Z12-012): recorded once each, whichever way they come (a webhook,
a poll, a person entering what the platform's portal shows), in the invoice's history.

A status moves the deposit (200 Déposée: the invoice is issued; 213 Rejetée: it never was)
and is told to collections (`signals.status_received`): 210 Refusée and 207 En litige open
a dispute with the buyer's reason, 208 Suspendue pauses until the buyer completes, 211
Paiement transmis holds the next reminder a few days.
"""

import uuid

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from einvoicing.connectors.base import STATUSES, StatusEvent
from einvoicing.models import LifecycleStatus, PlatformAccount, Submission
from einvoicing.selectors import deposit_state_from_statuses, platform_account
from einvoicing.services.platform import connector_of, uses_api
from einvoicing.signals import status_received
from invoices.models import Invoice
from portage.services import audit_record
from portage.tenancy import all_tenants

# Statuses a person may enter from the platform's portal, and who issues each.
SENDER_OF = {
    "200": "platform",
    "213": "platform",
    "204": "buyer",
    "205": "buyer",
    "206": "buyer",
    "207": "buyer",
    "208": "buyer",
    "209": "seller",
    "210": "buyer",
    "211": "buyer",
}
# Statuses that name a reason (XP Z12-012: a refusal, a dispute, a rejection, a suspension).
NEEDS_REASON = ("207", "208", "210", "213")
# Final statuses (XP Z12-012): an invoice the platform rejected or the buyer refused goes no
# further; it is cancelled by a credit note and, if need be, issued again.
FINAL = {"210": "Refusée", "213": "Rejetée"}


def _invoice_of(event):
    """The invoice a status is about: by the platform's flow id, our reference, or its
    number (a status about an invoice the company never deposited is not ours)."""
    submission = None
    if event.flow_id:
        submission = Submission.objects.filter(flow_id=event.flow_id).first()
    if submission is None and event.reference:
        submission = Submission.objects.filter(reference=event.reference).first()
    if submission is not None:
        return submission.invoice
    return Invoice.objects.filter(number=event.invoice_number).exclude(number="").first()


@transaction.atomic
def status_record(*, tenant, event: StatusEvent, entered_by=None):
    """Records a status once (its event id): returns the LifecycleStatus, or None when it
    was already recorded or is about no invoice of the company."""
    invoice = _invoice_of(event)
    if invoice is None:
        return None
    try:
        with transaction.atomic():
            status = LifecycleStatus.objects.create(
                tenant=tenant,
                invoice=invoice,
                code=event.code,
                sender=event.sender,
                reason_code=event.reason_code[:20],
                reason_text=event.reason_text[:500],
                amount=event.amount,
                issued_at=event.issued_at,
                event_id=event.event_id,
                entered_by=entered_by,
            )
    except IntegrityError:
        return None  # the same status, read again: already in the history
    _move_submission(invoice)
    status_received.send(sender=LifecycleStatus, invoice=invoice, status=status)
    return status


def _move_submission(invoice):
    submission = Submission.objects.select_for_update().filter(invoice=invoice).first()
    if submission is None:
        return
    latest = LifecycleStatus.objects.filter(invoice=invoice).order_by("-issued_at", "-id").first()
    submission.last_status = latest.code
    state = deposit_state_from_statuses(invoice)
    # A deposit still "to send" that the platform has: its answer was lost, or the worker
    # died before committing it. It stays to send, so that it is sent again (the platform
    # answers with the same flow) and recorded whole, flow id included; the state the
    # statuses give is taken then. A deposit given up as failed that the platform turns out
    # to have goes back to send for the same reason: the sweep fetches its receipt.
    if state is not None and submission.state == Submission.State.FAILED:
        submission.state = Submission.State.TO_SEND
    elif state is not None and submission.state != Submission.State.TO_SEND:
        submission.state = state
    submission.save(update_fields=["state", "last_status", "updated_at"])


@transaction.atomic
def status_enter(*, tenant, invoice, code, by, issued_on, reason_code="", reason_text=""):
    """A status as a person read it on the platform's portal (manual connector), or a buyer
    told it by another way. Returns the LifecycleStatus."""
    errors = {}
    if code not in SENDER_OF:
        errors["code"] = _("This status cannot be entered by hand.")
    elif code in NEEDS_REASON and not reason_text.strip():
        errors["reason_text"] = _("Give the reason the platform or the buyer gives.")
    if issued_on > timezone.localdate():
        errors["issued_on"] = _("This date is in the future.")
    if not Submission.objects.filter(invoice=invoice).exists():
        errors["code"] = _("This invoice was not deposited with the platform.")
    final = LifecycleStatus.objects.filter(invoice=invoice, code__in=FINAL).first()
    if final is not None and "code" not in errors:
        errors["code"] = _(
            "The invoice is %(status)s (%(code)s), a final status: no other status follows. "
            "Cancel it with a credit note."
        ) % {"status": FINAL[final.code], "code": final.code}
    if errors:
        raise ValidationError(errors)
    moment = timezone.make_aware(timezone.datetime.combine(issued_on, timezone.localtime().time()))
    status = status_record(
        tenant=tenant,
        event=StatusEvent(
            event_id=f"entered-{uuid.uuid4()}",
            flow_id="",
            invoice_number=invoice.number,
            code=code,
            issued_at=moment,
            sender=SENDER_OF[code],
            reason_code=reason_code.strip(),
            reason_text=reason_text.strip(),
        ),
        entered_by=by,
    )
    audit_record(
        tenant=tenant,
        actor=by,
        action="einvoicing.status_entered",
        obj=invoice,
        after={"status": f"{code} {STATUSES[code]}", "reason": reason_text.strip()},
    )
    return status


@transaction.atomic
def statuses_read(*, tenant, connector=None):
    """Reads the statuses the platform has since the last read (the catch-up for missed
    webhooks) and records the new ones; returns how many were new."""
    account = PlatformAccount.objects.select_for_update().first()
    if account is None or (connector is None and not uses_api(account)):
        return 0
    connector = connector or connector_of(account)
    started = timezone.now()
    since = account.statuses_read_at or account.created_at
    new = 0
    for event in sorted(connector.statuses_since(since), key=lambda event: event.issued_at):
        if status_record(tenant=tenant, event=event) is not None:
            new += 1
    # A status issued while the platform answered is read again next time, not lost.
    account.statuses_read_at = started
    account.save(update_fields=["statuses_read_at"])
    return new


def account_for_webhook(token):
    """The platform account a webhook address belongs to, across companies (the company is
    not known yet), or None."""
    if not token:
        return None
    return (
        all_tenants(PlatformAccount)
        .select_related("tenant")
        .filter(webhook_token=token, tenant__is_active=True)
        .first()
    )


def webhook_receive(*, tenant, headers, body):
    """The statuses a webhook call of the platform carries, each recorded once; returns how
    many were new. Raises Refused when the call is not signed by the platform."""
    account = platform_account()
    connector = connector_of(account)
    new = 0
    for event in connector.parse_webhook(headers, body):
        if status_record(tenant=tenant, event=event) is not None:
            new += 1
    return new
