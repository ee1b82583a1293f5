"""Collection emails: composed into the `Message` table (the outbox and the archive), sent
after the batch's transaction commits, retried with backoff, never sent twice.

A message is claimed (FOR UPDATE SKIP LOCKED) before it is sent, so two senders never send
the same one; its Message-ID is fixed when it is composed, so a receiver can recognise a
resend after a crash between the SMTP answer and our commit. A run's messages are claimed,
sent through one connection to the mail server and marked sent `SEND_BATCH` at a time.

The email copy of a formal notice attaches the letter's PDF, drawn after the batch
commits: the copy is held until the PDF is drawn, then released to the outbox
(`letter_copies_release`), and never sent without it.
"""

import logging
import re
from collections import defaultdict
from datetime import timedelta
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.html import escape, linebreaks
from django.utils.safestring import mark_safe

from dunning import penalties
from dunning.models import Action, Case, Letter, Message
from dunning.services import cases as case_states
from portage.mail import reply_to_of, sender_of
from portage.mentions import company_footer
from portage.models import Tenant
from portage.money import ZERO
from portage.templatetags.portage import euros, iban
from portage.tenancy import tenant_context

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# Messages sent through one connection to the mail server and recorded in one transaction.
SEND_BATCH = 50
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def backoff(attempts):
    """5 min, 20 min, 80 min, ~5 h before the 2nd to 5th tries."""
    return timedelta(minutes=5 * 4 ** (attempts - 1))


def invoice_rows(invoices, language):
    rows = []
    for invoice in invoices:
        balance = invoice.balance
        if language == "en":
            rows.append(
                f"- {invoice.number} of {invoice.issue_date:%d/%m/%Y}, due "
                f"{invoice.due_date:%d/%m/%Y}: {euros(balance)} outstanding"
            )
        else:
            rows.append(
                f"- {invoice.number} du {invoice.issue_date:%d/%m/%Y}, échéance "
                f"{invoice.due_date:%d/%m/%Y} : {euros(balance)} restant dû"
            )
    return rows


def fill(template, values):
    """Replaces the known {placeholders}; anything else is left as written."""
    return PLACEHOLDER.sub(lambda match: str(values.get(match.group(1), match.group(0))), template)


def replacement_notice(letter, language):
    """The sentence that opens the email copy of a letter written again: it cancels and
    replaces the first one, which the client may have read by email already."""
    if letter is None or letter.replaces_id is None:
        return ""
    day = f"{letter.replaces.letter_date:%d/%m/%Y}"
    if language == "en":
        return f"This formal notice cancels and replaces our formal notice of {day}.\n\n"
    return f"La présente mise en demeure annule et remplace notre mise en demeure du {day}.\n\n"


def message_compose(**composition):
    """A message for one client (or consultant) and step, queued for sending; the copy of
    a `letter` whose PDF is not drawn yet is held until it is (`letter_copies_release`).
    Takes the arguments of `message_build`."""
    message = message_build(**composition)
    message.save()
    return message


def message_build(
    *, tenant, client, step, invoices, to, language, day, consultant=None, letter=None
):
    """The message `message_compose` saves, not saved yet (the daily batch writes its
    messages in one INSERT)."""
    balance = sum(
        (invoice.balance for invoice in invoices),
        ZERO,
    )
    values = {
        "client": client.legal_name,
        "company": tenant.legal_name,
        "consultant": consultant.user.get_full_name() if consultant else "",
        "iban": iban(tenant.iban),
        "total": euros(balance),
        "invoices": "\n".join(invoice_rows(invoices, language)),
        "penalties": euros(letter.penalties if letter else ZERO),
        "indemnities": euros(
            letter.indemnities if letter else penalties.RECOVERY_INDEMNITY * len(invoices)
        ),
        "total_claimed": euros(letter.total_claimed if letter else balance),
        "deadline": f"{letter.deadline:%d/%m/%Y}" if letter else "",
    }
    subject = fill(step.subject(language), values).replace("\n", " ")[:300]
    # The company's registration mentions close every email (Code de commerce R123-237).
    footer = company_footer(tenant)
    body = replacement_notice(letter, language) + step.body(language)
    body_text = f"{fill(body, values)}\n\n-- \n{footer}"
    html_values = {**values, "invoices": "\x00INVOICES\x00"}
    html_parts = escape(fill(body, html_values)).split("\x00INVOICES\x00")
    with translation.override(language):
        body_html = render_to_string(
            "dunning/email/message.html",
            {
                # The parts were escaped above; linebreaks only adds <p> and <br>.
                "parts": [mark_safe(linebreaks(part)) for part in html_parts],  # noqa: S308
                "invoices": invoices,
                "tenant": tenant,
                "subject": subject,
                "language": language,
                "footer": footer,
            },
        )
    message = Message(
        tenant=tenant,
        client=client,
        consultant=consultant,
        kind=step.kind,
        step_day=day,
        from_email=sender_of(tenant),
        to=[address for address in to if address],
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        attachments=(
            [{"letter": letter.pk, "name": f"mise-en-demeure-{letter.pk}.pdf"}] if letter else []
        ),
        message_id=make_msgid(domain=settings.EMAIL_MESSAGE_ID_DOMAIN),
    )
    if letter is not None and not letter.pdf:
        message.status = Message.Status.HELD
    if not message.to:
        message.status = Message.Status.FAILED
        message.last_error = (
            "No email address to send to."
            if language == "en"
            else ("Aucune adresse email de destination.")
        )
    return message


def send_after_commit(tenant, message_ids):
    """Once the transaction commits, send the messages it composed (a dry run never
    commits, so it sends nothing). Failures stay queued for `deliver_due`."""
    if not message_ids:
        return
    tenant_pk = tenant.pk
    message_ids = list(message_ids)

    def send():
        try:
            deliver_many(tenant_pk, message_ids)
        except Exception:
            logger.exception("Delivering messages %s failed", message_ids)

    transaction.on_commit(send)


def letter_copies_release(letter):
    """The email copies held for `letter` (see `message_compose`), released to the outbox
    now that its PDF is drawn and sent once the transaction commits; their ids. The caller
    holds the letter's row, so a copy is released once: the next call finds none held."""
    held = Message.objects.filter(
        status=Message.Status.HELD, attachments__contains=[{"letter": letter.pk}]
    )
    message_ids = list(held.values_list("pk", flat=True))
    if message_ids:
        Message.objects.filter(pk__in=message_ids).update(
            status=Message.Status.QUEUED, next_attempt_at=timezone.now()
        )
        send_after_commit(letter.tenant, message_ids)
    return message_ids


def deliver(tenant_pk, message_pk, *, now=None):
    """Sends one queued message whose time has come; returns its status, or None if it was
    not for sending (already sent, taken by another sender, not due, or held again)."""
    return deliver_many(tenant_pk, [message_pk], now=now).get(message_pk)


def deliver_many(tenant_pk, message_pks, *, now=None):
    """Sends the queued messages among `message_pks` whose time has come, `SEND_BATCH` at a
    time: each batch claimed in one query, sent through one connection to the mail server
    and recorded in one transaction. Returns {pk: status} for the messages it sent or tried
    to send; the others were not for sending."""
    tenant = Tenant.objects.get(pk=tenant_pk)
    now = now or timezone.now()
    message_pks = list(message_pks)
    outcome = {}
    for start in range(0, len(message_pks), SEND_BATCH):
        outcome.update(_deliver_batch(tenant, message_pks[start : start + SEND_BATCH], now))
    return outcome


def _deliver_batch(tenant, message_pks, now):
    with tenant_context(tenant):
        # Claimed: a second sender skips these rows until this transaction ends, then finds
        # them sent.
        messages = list(
            Message.objects.select_for_update(skip_locked=True)
            .filter(pk__in=message_pks, status=Message.Status.QUEUED, next_attempt_at__lte=now)
            .order_by("pk")
        )
        if not messages:
            return {}
        letters = Letter.objects.in_bulk(
            {attachment["letter"] for message in messages for attachment in message.attachments}
        )
        waiting = [message.pk for message in messages if _attachments_missing(message, letters)]
        if waiting:
            # Never an email without its attachment: held again until the PDF is drawn.
            Message.objects.filter(pk__in=waiting).update(status=Message.Status.HELD)
        outcome = {}
        sent = []
        connection = get_connection()
        try:
            for message in messages:
                if message.pk in waiting:
                    continue
                message.tenant = tenant
                try:
                    connection.open()
                    _send(message, letters, connection)
                except Exception as error:
                    outcome[message.pk] = _send_failed(message, error, now)
                    _close_quietly(connection)  # a broken conversation is not reused
                    continue
                sent.append(message.pk)
                outcome[message.pk] = Message.Status.SENT
        finally:
            _close_quietly(connection)
        if sent:
            Message.objects.filter(pk__in=sent).update(
                attempts=F("attempts") + 1,
                status=Message.Status.SENT,
                sent_at=timezone.now(),
                last_error="",
            )
            Action.objects.filter(
                message_id__in=sent, status=Action.Status.PENDING, letter__isnull=True
            ).update(status=Action.Status.DONE)
        return outcome


def _attachments_missing(message, letters):
    """Whether `message` attaches a letter whose PDF is not drawn yet: it waits for it."""
    return any(
        attachment["letter"] in letters and not letters[attachment["letter"]].pdf
        for attachment in message.attachments
    )


def _close_quietly(connection):
    try:
        connection.close()
    except Exception:
        logger.warning("Closing the mail connection failed", exc_info=True)


def _send_failed(message, error, now):
    """Records a failed attempt: retried after `backoff`, failed for good (its steps and
    cases with it) at the last attempt. Returns the message's status."""
    message.attempts += 1
    message.last_error = f"{type(error).__name__}: {error}"[:2000]
    if message.attempts >= MAX_ATTEMPTS:
        message.status = Message.Status.FAILED
        _actions_of(message).update(status=Action.Status.FAILED)
        case_states.cases_send_failed(
            Case.objects.filter(
                pk__in=_actions_of(message).exclude(kind="consultant_reminder").values("case_id")
            )
        )
    else:
        message.next_attempt_at = now + backoff(message.attempts)
    message.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
    return message.status


def _actions_of(message):
    return Action.objects.filter(message=message).exclude(letter__isnull=False)


def _send(message, letters, connection):
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        from_email=message.from_email,
        to=message.to,
        reply_to=reply_to_of(message.tenant),
        headers={"Message-ID": message.message_id},
        connection=connection,
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    for attachment in message.attachments:
        letter = letters.get(attachment["letter"])
        if letter is None:
            raise Letter.DoesNotExist(f"letter {attachment['letter']} not found")
        with letter.pdf.open("rb") as pdf:
            email.attach(attachment["name"], pdf.read(), "application/pdf")
    email.send(fail_silently=False)


def deliver_due(*, now=None, limit=500):
    """Sends every queued message whose next attempt is due, for every tenant (the beat
    runs this every few minutes; it also drains what a broker outage left behind)."""
    from portage.tenancy import all_tenants

    now = now or timezone.now()
    due = list(
        all_tenants(Message)
        .filter(status=Message.Status.QUEUED, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("tenant_id", "pk")[:limit]
    )
    by_tenant = defaultdict(list)
    for tenant_pk, message_pk in due:
        by_tenant[tenant_pk].append(message_pk)
    outcome = {"sent": 0, "failed": 0, "retry": 0}
    for tenant_pk, message_pks in by_tenant.items():
        for status in deliver_many(tenant_pk, message_pks, now=now).values():
            if status == Message.Status.SENT:
                outcome["sent"] += 1
            elif status == Message.Status.FAILED:
                outcome["failed"] += 1
            elif status == Message.Status.QUEUED:
                outcome["retry"] += 1
    return outcome


def message_retry(*, message, actor):
    """A collector sends a failed message again: it goes back to the queue, fresh."""
    from portage.services import audit_record

    if message.status != Message.Status.FAILED:
        raise ValueError("only a failed message is sent again")
    Message.objects.filter(pk=message.pk).update(
        status=Message.Status.QUEUED, attempts=0, next_attempt_at=timezone.now()
    )
    actions = Action.objects.filter(message=message, status=Action.Status.FAILED)
    case_ids = list(actions.values_list("case_id", flat=True))
    actions.update(status=Action.Status.PENDING)
    case_states.cases_send_retried(Case.objects.filter(pk__in=case_ids))
    audit_record(tenant=message.tenant, actor=actor, action="dunning.message_retried", obj=message)
    send_after_commit(message.tenant, [message.pk])
