"""Formal notices (mises en demeure): the figures they claim, their PDF, and a notice
written again when it went stale in the print queue.

A letter is written in two steps. The daily batch records it, its figures fixed on its
date, and commits; its PDF is drawn afterwards from those stored figures by a task
(`letter_pdf_draw`), so the batch never waits for WeasyPrint while it holds its locks.
The email copy waits for the PDF it attaches (`mail.letter_copies_release`), and a
letter is posted only with its PDF.

The services that write a letter send its task, and the task calls the services: each
side imports the other's module, not names from it, so either may be imported first."""

import hashlib
import logging
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import DatabaseError, transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from dunning import penalties, tasks
from dunning.models import Action, ClientSettings, Letter, Pause, RateSemester
from dunning.services.mail import letter_copies_release, message_compose, send_after_commit
from invoices import amounts
from invoices.models import Allocation, Invoice, Payment
from invoices.pdf import _logo_data_uri, write_pdf
from invoices.selectors import bank_credits_proposed
from portage.models import Tenant
from portage.money import ZERO
from portage.services import audit_record
from portage.templatetags.portage import euros
from portage.tenancy import all_tenants, tenant_context

logger = logging.getLogger(__name__)

# A letter whose PDF is still not drawn this long after its last attempt (or its writing)
# lost its task (the broker away when the batch committed) or ran out of the task's
# retries: the sweep draws it again.
SWEEP_AFTER = timedelta(minutes=30)


def rates_table(half_years):
    """The company's reference rates of `half_years`, as `penalty_schedule` reads them; a
    half-year not in the table is simply absent."""
    wanted = set(half_years)
    if not wanted:
        return {}
    years = {half_year.year for half_year in wanted}
    table = {}
    for row in RateSemester.objects.filter(year__in=years):
        half_year = penalties.HalfYear(row.year, row.half)
        if half_year in wanted:
            table[half_year] = penalties.Rates(ecb_rate=row.ecb_rate, legal_rate=row.legal_rate)
    return table


def contract_rate_of(invoice):
    """The contract rate printed on the invoice when it was issued, or None."""
    rate = invoice.seller.get("late_penalty_rate")
    return Decimal(rate) if rate else None


def payments_by_invoice(invoices):
    """(day paid, amount) of each allocation in force, per invoice: the day is the payment's,
    since the client's money was received that day."""
    found = defaultdict(list)
    allocations = Allocation.objects.filter(
        invoice__in=[invoice.pk for invoice in invoices],
        is_active=True,
        payment__status=Payment.Status.ACTIVE,
    ).values_list("invoice_id", "payment__received_on", "amount")
    for invoice_pk, received_on, amount in allocations.order_by("payment__received_on", "id"):
        found[invoice_pk].append((received_on, amount))
    return found


def invoice_schedules(invoices, on_date):
    """The penalty schedule of each invoice on `on_date`, by invoice pk. Raises
    `penalties.RatesMissing` naming every rate missing over all the invoices."""
    invoices = list(invoices)
    first_day = min((invoice.due_date for invoice in invoices), default=on_date)
    rates = rates_table(penalties.half_years(first_day, max(first_day, on_date)))
    payments = payments_by_invoice(invoices)
    schedules, missing = {}, []
    for invoice in invoices:
        try:
            schedules[invoice.pk] = penalties.penalty_schedule(
                amount_due=invoice.due,
                due_date=invoice.due_date,
                payments=payments[invoice.pk],
                on_date=on_date,
                contract_rate=contract_rate_of(invoice),
                rates=rates,
            )
        except penalties.RatesMissing as error:
            missing.extend(error.missing)
    if missing:
        raise penalties.RatesMissing(missing)
    return schedules


def claim_lines(invoices, on_date):
    """One line per invoice: its balance, days late, penalty schedule (each amount, each
    half-year, its days and rate), penalties and the indemnity. Raises
    `penalties.RatesMissing` when a rate it needs is not in the table."""
    schedules = invoice_schedules(invoices, on_date)
    lines = []
    for invoice in invoices:
        balance = invoice.balance
        schedule = schedules[invoice.pk]
        days = penalties.days_late(invoice.due_date, on_date)
        lines.append(
            {
                "invoice_pk": invoice.pk,
                "number": invoice.number,
                "issue_date": invoice.issue_date.isoformat(),
                "due_date": invoice.due_date.isoformat(),
                "total_ttc": str(invoice.total_ttc),
                "balance": str(balance),
                "days_late": days,
                "schedule": [
                    {
                        "amount": str(line.amount),
                        "paid_on": line.paid_on.isoformat() if line.paid_on else None,
                        "start": line.start.isoformat(),
                        "end": line.end.isoformat(),
                        "days": line.days,
                        "rate": str(line.rate),
                        "rate_source": line.source,
                        "penalty": str(line.penalty),
                    }
                    for line in schedule.lines
                ],
                "penalty_on_paid_parts": str(schedule.on_paid_parts),
                "penalty": str(schedule.total),
                "indemnity": str(penalties.RECOVERY_INDEMNITY if days > 0 else ZERO),
            }
        )
    return lines


def letter_totals(lines):
    """What a letter of `lines` claims: the balance, the penalties (those accrued on the
    parts paid late included), the indemnities, and their total."""
    balance = sum((Decimal(line["balance"]) for line in lines), ZERO)
    penalty_total = sum((Decimal(line["penalty"]) for line in lines), ZERO)
    indemnities = sum((Decimal(line["indemnity"]) for line in lines), ZERO)
    return {
        "balance": balance,
        "penalties": penalty_total,
        "indemnities": indemnities,
        "total_claimed": balance + penalty_total + indemnities,
    }


def letter_create(*, tenant, client, lines, letter_date, deadline_days, replaces=None):
    """The formal notice of `lines` (see `claim_lines`), claiming `letter_totals`, recorded
    with its figures fixed on `letter_date`; `replaces` is the stale letter it is written
    again for. Its PDF is not drawn here: the render task draws it from these stored
    figures once the transaction commits (`letter_pdf_draw`), so that a batch writing
    hundreds of letters holds its locks for their figures only. A caller whose user waits
    for the letter draws it at once after this (`letter_regenerate`)."""
    letter = Letter.objects.create(
        tenant=tenant,
        client=client,
        letter_date=letter_date,
        deadline=letter_date + timedelta(days=deadline_days),
        lines=lines,
        replaces=replaces,
        **letter_totals(lines),
    )
    tasks.render_letter_pdf_task.delay_on_commit(tenant_id=tenant.pk, letter_id=letter.pk)
    return letter


# The letter's PDF


@transaction.atomic
def letter_pdf_ensure(*, letter):
    """The letter's stored PDF, drawn now if it was not yet, from the letter's own stored
    figures (never counted again: drawn twice, it states the same), with its sha256. Drawn
    once: the row is locked, so a task run twice or queued twice stores one PDF, and a
    letter that has its PDF is not drawn again. The email copies held for it leave then
    (`letter_copies_release`). Raises what the renderer raised."""
    stored = (
        Letter.objects.select_for_update(of=("self",))
        .select_related("tenant", "client", "replaces")
        .get(pk=letter.pk)
    )
    if not stored.pdf:
        content = render_letter_pdf(stored)
        stored.pdf.save(
            f"{stored.tenant_id}/mise-en-demeure-{stored.pk}.pdf", ContentFile(content), save=False
        )
        stored.pdf_sha256 = hashlib.sha256(content).hexdigest()
        stored.pdf_state = Letter.PdfState.READY
        stored.pdf_attempts += 1
        stored.pdf_attempted_at = timezone.now()
        stored.pdf_error = ""
        stored.save(
            update_fields=[
                "pdf",
                "pdf_sha256",
                "pdf_state",
                "pdf_attempts",
                "pdf_attempted_at",
                "pdf_error",
            ]
        )
    letter_copies_release(stored)
    return stored


def letter_pdf_draw(*, letter):
    """Draws the letter's PDF (`letter_pdf_ensure`). Should the renderer fail, the letter
    is kept, marked failed with the error and the attempt counted, for the print queue to
    show and the task, the sweep or the collector to draw it again; its email copy stays
    held. Returns the letter as it now is. A database error is raised, not recorded: the
    caller's transaction is gone with it."""
    try:
        with transaction.atomic():
            return letter_pdf_ensure(letter=letter)
    except DatabaseError:
        raise
    except Exception as error:
        logger.exception("Drawing the PDF of letter %s failed", letter.pk)
        Letter.objects.filter(pk=letter.pk).exclude(pdf_state=Letter.PdfState.READY).update(
            pdf_state=Letter.PdfState.FAILED,
            pdf_attempts=F("pdf_attempts") + 1,
            pdf_attempted_at=timezone.now(),
            pdf_error=f"{type(error).__name__}: {error}"[:2000],
        )
        return Letter.objects.get(pk=letter.pk)


def letters_to_draw(*, now, limit=100):
    """(tenant pk, letter pk) of the letters, for every tenant, whose PDF is still not drawn
    `SWEEP_AFTER` their last attempt, or their writing when never attempted."""
    return list(
        all_tenants(Letter)
        .exclude(pdf_state=Letter.PdfState.READY)
        .alias(since=Coalesce("pdf_attempted_at", "created_at"))
        .filter(since__lte=now - SWEEP_AFTER)
        .order_by("since", "id")
        .values_list("tenant_id", "pk")[:limit]
    )


def letters_draw_missing(*, now):
    """The sweep (beat, every quarter of an hour): draws each letter of `letters_to_draw`,
    in its tenant's transaction, one after the other; returns how many were drawn and how
    many failed again."""
    outcome = {"drawn": 0, "failed": 0}
    due = letters_to_draw(now=now)
    tenants = Tenant.objects.in_bulk({tenant_pk for tenant_pk, _letter_pk in due})
    for tenant_pk, letter_pk in due:
        with tenant_context(tenants[tenant_pk]):
            letter = letter_pdf_draw(letter=Letter.objects.get(pk=letter_pk))
        outcome["drawn" if letter.pdf_state == Letter.PdfState.READY else "failed"] += 1
    return outcome


@transaction.atomic
def letter_pdf_retry(*, letter, actor):
    """A collector draws a letter's PDF again, at once, from the print queue (after its
    task and the sweep failed); the attempt is in the audit log. Returns the letter."""
    if letter.pdf:
        raise ValidationError(_("This formal notice's PDF is drawn already."), code="state")
    drawn = letter_pdf_draw(letter=letter)
    audit_record(
        tenant=letter.tenant,
        actor=actor,
        action="dunning.letter_pdf_retried",
        obj=drawn,
        after={"pdf": drawn.get_pdf_state_display(), "error": drawn.pdf_error[:300]},
    )
    return drawn


# A stale formal notice


def letter_is_stale(letter, *, today):
    """A formal notice still waiting to be posted after its final deadline: posted as it
    is, it would give the client a deadline already gone and claim penalties stopped at a
    past date, so it is not posted but written again (`letter_regenerate`)."""
    return letter.posting == Letter.Posting.TO_POST and letter.deadline < today


def stale_letters(*, today):
    """The formal notices `letter_is_stale` on `today`."""
    return Letter.objects.filter(posting=Letter.Posting.TO_POST, deadline__lt=today)


def still_owed(letter):
    """The invoices the letter listed that are still unpaid, in its order."""
    return still_owed_by_letter([letter])[letter.pk]


def still_owed_by_letter(letters):
    """`still_owed` of each of `letters`, {letter id: invoices}, read in one query."""
    wanted = {line["invoice_pk"] for letter in letters for line in letter.lines}
    owed = {}
    if wanted:
        owed = {
            invoice.pk: invoice
            for invoice in Invoice.objects.filter(amounts.is_open(), pk__in=wanted)
            if invoice.balance > 0
        }
    return {
        letter.pk: [owed[line["invoice_pk"]] for line in letter.lines if line["invoice_pk"] in owed]
        for letter in letters
    }


def regeneration_holds(letter, *, today):
    """Why the letter cannot be written again on `today`, one sentence per invoice still
    unpaid that the ladder holds since: its case paused (a promise, a payment plan, a
    pause, the buyer's suspension) or disputed, or a bank credit proposed for it and not
    confirmed yet (the client's money may be in the bank already). Empty when nothing
    holds it. A letter is written again once every hold
    ended, or withdrawn once nothing is left to claim."""
    return regeneration_holds_by_letter([letter], today=today)[letter.pk]


def regeneration_holds_by_letter(letters, *, today, owed=None):
    """`regeneration_holds` of each of `letters`, {letter id: sentences}, in a number of
    queries that does not grow with the letters (`owed`: their `still_owed_by_letter`, when
    the caller has it)."""
    from dunning.services.ladder import pause_over  # the ladder performs letters

    owed = still_owed_by_letter(letters) if owed is None else owed
    by_pk = {invoice.pk: invoice for letter in letters for invoice in owed[letter.pk]}
    if not by_pk:
        return {letter.pk: [] for letter in letters}
    pauses = defaultdict(list)
    for pause in Pause.objects.filter(
        case__invoice__in=list(by_pk), ended_on__isnull=True
    ).select_related("case"):
        if not pause_over(pause, by_pk[pause.case.invoice_id], today):
            pauses[pause.case.invoice_id].append(pause)
    credits = bank_credits_proposed(by_pk)
    return {letter.pk: _holds(owed[letter.pk], pauses, credits, today) for letter in letters}


def _holds(invoices, pauses, credits, today):
    holds = []
    for invoice in invoices:
        for pause in pauses[invoice.pk]:
            holds.append(_pause_hold(invoice, pause))
        if invoice.pk in credits:
            line = credits[invoice.pk].line
            holds.append(
                _(
                    "%(invoice)s: a bank credit of %(amount)s received on %(day)s is proposed "
                    "for it and not confirmed yet: confirm it or set it aside first."
                )
                % {
                    "invoice": invoice.number,
                    "amount": euros(line.amount),
                    "day": formats.date_format(line.booking_date, "SHORT_DATE_FORMAT"),
                }
            )
    return holds


def _pause_hold(invoice, pause):
    if pause.kind == Pause.Kind.DISPUTE:
        return _("%(invoice)s: disputed by the client (%(reason)s).") % {
            "invoice": invoice.number,
            "reason": pause.reason,
        }
    if pause.until:
        return _("%(invoice)s: %(kind)s until %(day)s.") % {
            "invoice": invoice.number,
            "kind": pause.get_kind_display().lower(),
            "day": formats.date_format(pause.until, "SHORT_DATE_FORMAT"),
        }
    return _("%(invoice)s: %(kind)s.") % {
        "invoice": invoice.number,
        "kind": pause.get_kind_display().lower(),
    }


def regeneration_lines(letter, *, today):
    """The lines the letter written again on `today` would state: the invoices it listed
    that are still unpaid, their penalties counted to `today`. Raises ValidationError when
    none is left to claim or when a reference rate is missing."""
    invoices = still_owed(letter)
    if not invoices:
        raise ValidationError(
            _(
                "Every invoice of this formal notice has been paid or credited: "
                "nothing is left to claim."
            )
        )
    try:
        return claim_lines(invoices, today)
    except penalties.RatesMissing as error:
        raise ValidationError(
            _(
                "The penalties to %(day)s need reference rates not entered yet "
                "(%(missing)s): enter them first."
            )
            % {"day": formats.date_format(today, "SHORT_DATE_FORMAT"), "missing": error}
        ) from error


def regeneration_preview(letter, *, today):
    """What `letter_regenerate` would write on `today`, for the collector to confirm: the
    lines, their `letter_totals` and the new final deadline."""
    lines = regeneration_lines(letter, today=today)
    return {
        "lines": lines,
        "deadline": today + (letter.deadline - letter.letter_date),
        **letter_totals(lines),
    }


@transaction.atomic
def letter_regenerate(*, letter, actor, today):
    """Writes a stale formal notice again (`letter_is_stale`): dated `today`, the invoices
    still unpaid with their late penalties counted to `today` (Code de commerce L441-10) and
    the 40 EUR indemnity each (D441-5), a new final deadline as many days after as the old
    one gave. The old letter is kept, marked replaced, with the new one naming it; the
    database lets a letter be replaced once. Returns the new letter.

    The new letter's PDF is drawn at once, not by the task as the batch's are: the
    collector regenerates one letter to print and post it now, and waits for it. Should
    drawing it fail, the regeneration still stands, the letter marked failed for the task
    to draw again, and its email copy waits for it."""
    letter = Letter.objects.select_for_update().get(pk=letter.pk)
    if letter.posting != Letter.Posting.TO_POST:
        raise ValidationError(
            _(
                "Only a formal notice waiting to be posted can be written again; "
                "this one is: %(posting)s."
            )
            % {"posting": letter.get_posting_display()}
        )
    if not letter_is_stale(letter, today=today):
        raise ValidationError(_("This formal notice's deadline has not passed: post it as it is."))
    holds = regeneration_holds(letter, today=today)
    if holds:
        raise ValidationError(
            [_("This formal notice cannot be written again while the ladder is held:"), *holds]
        )
    lines = regeneration_lines(letter, today=today)
    new = letter_create(
        tenant=letter.tenant,
        client=letter.client,
        lines=lines,
        letter_date=today,
        deadline_days=(letter.deadline - letter.letter_date).days,
        replaces=letter,
    )
    new = letter_pdf_draw(letter=new)
    letter.posting = Letter.Posting.REPLACED
    letter.save(update_fields=["posting"])
    copy = email_copy_again(letter, new, today=today)
    audit_record(
        tenant=letter.tenant,
        actor=actor,
        action="dunning.letter_regenerated",
        obj=new,
        before={
            "letter": letter.pk,
            "letter_date": letter.letter_date.isoformat(),
            "deadline": letter.deadline.isoformat(),
            "penalties": str(letter.penalties),
            "total_claimed": str(letter.total_claimed),
        },
        after={
            "letter": new.pk,
            "letter_date": new.letter_date.isoformat(),
            "deadline": new.deadline.isoformat(),
            "penalties": str(new.penalties),
            "total_claimed": str(new.total_claimed),
            "email_copy": ", ".join(copy.to) if copy else "",
        },
    )
    return new


def email_copy_of(letter):
    """The email copy sent to the client with the letter when it was written (the ladder
    sends one when the client has a billing address), with the step it performed, or
    None."""
    return (
        Action.objects.filter(letter=letter, message__isnull=False)
        .select_related("message", "step")
        .order_by("id")
        .first()
    )


def email_copy_again(old, new, *, today):
    """The new letter emailed to the client as the old one was (same step's words, in the
    client's language, from the company's sender, the PDF attached, through the outbox),
    once the transaction commits and the PDF is drawn; None when the old letter had no
    email copy."""
    original = email_copy_of(old)
    if original is None:
        return None
    client_settings = ClientSettings.objects.filter(client=new.client).first()
    invoices = Invoice.objects.in_bulk([line["invoice_pk"] for line in new.lines])
    message = message_compose(
        tenant=new.tenant,
        client=new.client,
        step=original.step,
        invoices=[invoices[line["invoice_pk"]] for line in new.lines],
        to=list(new.client.billing_emails),
        language=client_settings.language if client_settings else "fr",
        day=today,
        letter=new,
    )
    send_after_commit(new.tenant, [message.pk])
    return message


@transaction.atomic
def letter_withdraw(*, letter, actor, today):
    """Withdraws a formal notice waiting to be posted whose invoices have all been paid or
    credited since it was written: it is not posted, no letter replaces it, and it is kept,
    marked withdrawn, in the history. Refused while an invoice it claims is still unpaid
    (the letter is then written again, `letter_regenerate`)."""
    letter = Letter.objects.select_for_update().get(pk=letter.pk)
    if letter.posting != Letter.Posting.TO_POST:
        raise ValidationError(
            _(
                "Only a formal notice waiting to be posted can be withdrawn; "
                "this one is: %(posting)s."
            )
            % {"posting": letter.get_posting_display()}
        )
    owed = still_owed(letter)
    if owed:
        raise ValidationError(
            _("Still unpaid: %(invoices)s. The formal notice cannot be withdrawn.")
            % {"invoices": ", ".join(invoice.number for invoice in owed)}
        )
    letter.posting = Letter.Posting.WITHDRAWN
    letter.withdrawn_on = today
    letter.withdrawn_by = actor
    letter.save(update_fields=["posting", "withdrawn_on", "withdrawn_by"])
    audit_record(
        tenant=letter.tenant,
        actor=actor,
        action="dunning.letter_withdrawn",
        obj=letter,
        before={"posting": Letter.Posting.TO_POST.label},
        after={
            "posting": Letter.Posting.WITHDRAWN.label,
            "withdrawn_on": today.isoformat(),
            "invoices": ", ".join(line["number"] for line in letter.lines),
        },
    )
    return letter


RATE_SOURCES = {
    "contract": "taux contractuel",
    "ecb_plus_10": "taux BCE + 10 points",
    "legal_floor": "3 × le taux d'intérêt légal",
}


def render_letter_pdf(letter):
    """The letter in French, on the company's letterhead."""
    tenant = letter.tenant
    with translation.override("fr"):
        lines = [
            {
                **line,
                "schedule": [
                    {**part, "rate_source_label": RATE_SOURCES.get(part["rate_source"], "")}
                    for part in line.get("schedule", [])
                ],
            }
            for line in letter.lines
        ]
        html = render_to_string(
            "dunning/pdf/formal_notice.html",
            {
                "letter": letter,
                "tenant": tenant,
                "client": letter.client,
                "lines": lines,
                "penalties_on_paid_parts": sum(
                    (Decimal(line.get("penalty_on_paid_parts", "0")) for line in letter.lines),
                    ZERO,
                ),
                "logo": _logo_data_uri(tenant),
            },
        )
        return write_pdf(html, "dunning/pdf/formal_notice.css")
