"""What collectors and consultants do by hand on a case: pause, dispute, promise, payment
plan, resume, log a contact, acknowledge a debt, send the next step now.

This module is also the only writer of `Case.state`: the ladder, the mail queue, the
performed steps, litigation and the insurance batch call the named transitions below, each
checked against `NEXT_STATES`. The ladder's daily decision computes the new states here and
still saves them in one statement (`ladder.store_cases`)."""

from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dunning.models import Acknowledgement, Action, Case, ContactLog, Pause, Policy, Step
from dunning.selectors import bank_holds, missing_rate_label
from dunning.services import ladder, mail, perform  # modules: they call this one back
from einvoicing import selectors as einvoicing
from portage.services import audit_record
from portage.templatetags.portage import euros

State = Case.State

# The states the ladder follows (and may move between from one day to the next).
LIVE = frozenset(
    {
        State.ACTIVE,
        State.PAUSED,
        State.DISPUTED,
        State.TIME_BARRED,
        State.BELOW_MINIMUM,
        State.FAILED,
        State.NOT_ISSUED,
    }
)

# The states a case may move to from each state. Staying in the same state is always allowed.
# A live case moves freely between the live states (the ladder re-decides each day), closes
# when paid or credited, goes to litigation or to the insurer. A case in litigation only
# leaves it for the insurer; a case with the insurer stays there (its litigation file may
# still be read back); a time-barred debt the client acknowledges comes back on the ladder
# through the live moves. A closed case stays closed.
NEXT_STATES = {
    **{state: LIVE | {State.CLOSED, State.LITIGATION, State.INSURER} for state in LIVE},
    State.LITIGATION: {State.INSURER},
    State.INSURER: {State.LITIGATION},
    State.CLOSED: set(),
}


def next_states(state):
    return NEXT_STATES[State(state)]


def may_move(state, to):
    return State(state) == State(to) or State(to) in next_states(state)


def sources_of(to):
    """The states from which a case may move to `to` (itself included)."""
    return [state for state, nexts in NEXT_STATES.items() if state == to or to in nexts]


def case_state_move(case, to):
    """Sets one case's state in memory (the caller saves it, alone or in bulk): the one
    place a case's state is assigned. A move the table does not allow is a programming
    error, not a user's."""
    if not may_move(case.state, to):
        raise ValueError(f"a dunning case cannot go from {case.state} to {to}")
    case.state = to
    return case


def case_states_set(cases, to, **fields):
    """Moves every case of the queryset that may go to `to` (the others keep their state),
    in one UPDATE; returns how many moved."""
    return cases.filter(state__in=sources_of(to)).update(state=to, **fields)


# Named transitions, for the callers outside this module.


def case_decide(case, to):
    """The ladder's daily decision for a live case (active, paused, closed, ...)."""
    return case_state_move(case, to)


def case_to_litigation(case):
    """A case whose invoice is in a litigation file (seen by the ladder's refresh)."""
    return case_state_move(case, State.LITIGATION)


def cases_close_settled(cases):
    """Live cases whose invoice is paid or credited: closed, off the ladder."""
    return case_states_set(cases, State.CLOSED, next_step=None, next_step_on=None)


def cases_send_failed(cases):
    """A client-facing message could not be sent: its live cases wait for a collector."""
    return case_states_set(cases, State.FAILED)


def cases_send_retried(cases):
    """A failed message is queued again: its cases go back on the ladder."""
    return cases.filter(state=State.FAILED).update(state=State.ACTIVE)


def cases_open_litigation(cases, **fields):
    """The invoices go into a litigation file: their cases leave the ladder."""
    return case_states_set(cases, State.LITIGATION, **fields)


def cases_hand_to_insurer(cases):
    """A claim is opened for the invoices: their cases are with the insurer, off the ladder."""
    return case_states_set(cases, State.INSURER, next_step=None, next_step_on=None)


def case_debt_acknowledged(case):
    """The client acknowledged a time-barred debt: the limitation restarts, back on the ladder."""
    return case_states_set(Case.objects.filter(pk=case.pk, state=State.TIME_BARRED), State.ACTIVE)


def case_for_invoice(invoice, *, tenant):
    """The invoice's case, opened now if the batch has not reached it yet."""
    from dunning.services.defaults import tenant_defaults_ensure
    from dunning.services.ladder import policy_by_client

    case = Case.objects.filter(invoice=invoice).first()
    if case is not None:
        return case
    tenant_defaults_ensure(tenant)
    policy_pk = policy_by_client().get(invoice.client_id)
    policy = Policy.objects.get(pk=policy_pk) if policy_pk else Policy.objects.get(is_default=True)
    Case.objects.bulk_create(
        [Case(tenant=tenant, invoice=invoice, client_id=invoice.client_id, policy=policy)],
        ignore_conflicts=True,
    )
    return Case.objects.get(invoice=invoice)


def _check_open(invoice):
    if invoice.kind != invoice.Kind.INVOICE or invoice.balance <= 0 or invoice.is_draft:
        raise ValidationError(_("This invoice is not awaiting payment."), code="state")


@transaction.atomic
def pause_create(*, tenant, invoice, actor, kind, today, until=None, reason="", instalments=()):
    """Takes the invoice off the ladder: a dispute (until resolved, reason required), a
    promise to pay (until its date), a payment plan (while its instalments are met) or a
    manual pause (until a date)."""
    _check_open(invoice)
    errors = {}
    if kind == Pause.Kind.DISPUTE and not reason.strip():
        errors["reason"] = _("Say what the client disputes.")
    if kind in (Pause.Kind.PROMISE, Pause.Kind.MANUAL):
        if until is None:
            errors["until"] = _("Give the date until which the reminders wait.")
        elif until < today:
            errors["until"] = _("This date has already passed.")
    plan = []
    if kind == Pause.Kind.PLAN:
        plan = _instalments(instalments, invoice, today, errors)
        until = date.fromisoformat(plan[-1]["due"]) if plan else None
    if errors:
        raise ValidationError(errors)
    case = case_for_invoice(invoice, tenant=tenant)
    pause = Pause.objects.create(
        tenant=tenant,
        case=case,
        kind=kind,
        reason=reason.strip(),
        starts_on=today,
        until=None if kind == Pause.Kind.DISPUTE else until,
        instalments=plan,
        paid_at_start=invoice.settled,
        created_by=actor,
    )
    ladder.refresh_case(case, today)
    audit_record(
        tenant=tenant,
        actor=actor,
        action="dunning.paused",
        obj=pause,
        after={
            "invoice": invoice.number,
            "kind": pause.get_kind_display(),
            "until": until.isoformat() if until else "",
            "reason": pause.reason,
        },
    )
    return pause


def _instalments(rows, invoice, today, errors):
    plan = []
    total = Decimal("0")
    for due, amount in rows:
        try:
            value = Decimal(str(amount))
        except InvalidOperation:
            errors["instalments"] = _("An instalment amount is not a number.")
            return []
        if value <= 0 or due is None:
            errors["instalments"] = _("Each instalment needs a date and a positive amount.")
            return []
        total += value
        plan.append({"due": due.isoformat(), "amount": str(value)})
    if not plan:
        errors["instalments"] = _("A payment plan needs at least one instalment.")
    elif total != invoice.balance:
        errors["instalments"] = _(
            "The instalments add up to %(total)s, the balance is %(balance)s."
        ) % {"total": euros(total), "balance": euros(invoice.balance)}
    elif min(row["due"] for row in plan) < today.isoformat():
        errors["instalments"] = _("An instalment date has already passed.")
    return sorted(plan, key=lambda row: row["due"])


@transaction.atomic
def pause_end(*, tenant, pause, actor, today, reason):
    """Ends a pause by hand (a dispute resolved, a pause lifted): the ladder resumes."""
    if pause.ended_on is not None:
        raise ValidationError(_("This pause has already ended."), code="state")
    pause.ended_on = today
    pause.end_reason = reason or _("Resumed by hand")
    pause.save(update_fields=["ended_on", "end_reason"])
    ladder.refresh_case(pause.case, today)
    audit_record(
        tenant=tenant,
        actor=actor,
        action="dunning.resumed",
        obj=pause,
        after={"invoice": pause.case.invoice.number, "reason": pause.end_reason},
    )
    return pause


@transaction.atomic
def case_resume(*, tenant, invoice, actor, today, reason=""):
    """Puts the invoice back on the ladder: every pause still open on it ends today."""
    pauses = list(Pause.objects.filter(case__invoice=invoice, ended_on__isnull=True))
    if not pauses:
        raise ValidationError(_("This invoice is not paused."), code="state")
    return [
        pause_end(tenant=tenant, pause=pause, actor=actor, today=today, reason=reason)
        for pause in pauses
    ]


@transaction.atomic
def contact_log(
    *,
    tenant,
    client,
    actor,
    kind,
    happened_on,
    text="",
    invoice=None,
    promise_date=None,
    by_consultant=False,
    today,
):
    """A call, email, note or promise. A promise pauses the invoice(s) until its date; a
    consultant's log completes their reminder task for the invoice."""
    if kind == ContactLog.Kind.PROMISE:
        if promise_date is None:
            raise ValidationError({"promise_date": _("Give the promised payment date.")})
        if promise_date < today:
            raise ValidationError({"promise_date": _("This date has already passed.")})
    if happened_on > today:
        raise ValidationError({"happened_on": _("This date is in the future.")})
    log = ContactLog.objects.create(
        tenant=tenant,
        client=client,
        invoice=invoice,
        kind=kind,
        happened_on=happened_on,
        promise_date=promise_date,
        text=text.strip(),
        author=actor,
        by_consultant=by_consultant,
    )
    invoices = [invoice] if invoice else list(_open_invoices_of(client))
    if kind == ContactLog.Kind.PROMISE:
        for promised in invoices:
            if promised.balance > 0:
                pause_create(
                    tenant=tenant,
                    invoice=promised,
                    actor=actor,
                    kind=Pause.Kind.PROMISE,
                    today=today,
                    until=promise_date,
                    reason=_("Promise logged on %(day)s") % {"day": f"{happened_on:%d/%m/%Y}"},
                )
    if by_consultant:
        Action.objects.filter(
            invoice__in=invoices, kind="consultant_reminder", completed_at__isnull=True
        ).update(completed_at=timezone.now())
    audit_record(
        tenant=tenant,
        actor=actor,
        action="dunning.contact_logged",
        obj=log,
        after={
            "client": client.legal_name,
            "kind": log.get_kind_display(),
            "invoice": invoice.number if invoice else "",
            "promise_date": promise_date.isoformat() if promise_date else "",
        },
    )
    return log


def _open_invoices_of(client):
    from invoices.models import Invoice

    return Invoice.objects.filter(
        client=client,
        kind=Invoice.Kind.INVOICE,
        status__in=[Invoice.Status.ISSUED, Invoice.Status.PARTIALLY_PAID],
    )


@transaction.atomic
def debt_acknowledge(*, tenant, invoice, actor, acknowledged_on, evidence, today):
    """Records the debtor's acknowledgement (letter, part payment, payment plan signed):
    the 5-year limitation starts again from that day."""
    if acknowledged_on > today:
        raise ValidationError({"acknowledged_on": _("This date is in the future.")})
    if not evidence.strip():
        raise ValidationError({"evidence": _("Say how the client acknowledged the debt.")})
    ack = Acknowledgement.objects.create(
        tenant=tenant,
        invoice=invoice,
        acknowledged_on=acknowledged_on,
        evidence=evidence.strip(),
        recorded_by=actor,
    )
    case = case_for_invoice(invoice, tenant=tenant)
    case_debt_acknowledged(case)
    ladder.refresh_case(case, today)
    audit_record(
        tenant=tenant,
        actor=actor,
        action="dunning.debt_acknowledged",
        obj=ack,
        after={"invoice": invoice.number, "on": acknowledged_on.isoformat()},
    )
    return ack


@transaction.atomic
def send_next_step_now(*, tenant, invoice, actor, today, despite_bank_credit=False):
    """A collector performs the invoice's next step today, whatever its date. It is still
    the step's only performance: the batch will not perform it again.

    A bank credit proposed for the invoice and not yet confirmed holds the ladder (see
    `dunning.selectors.bank_holds`): the step is sent only if the collector, warned, asks again
    (`despite_bank_credit`); the refusal's code is "bank_credit_proposed"."""
    from dunning.services.ladder import RunResult

    _check_open(invoice)
    if einvoicing.not_issued([invoice.pk]):
        raise ValidationError(
            _(
                "This invoice is not issued on the e-invoicing platform (not deposited yet, "
                "or rejected): no reminder can be sent for it."
            )
        )
    case = case_for_invoice(invoice, tenant=tenant)
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("invoice", "client", "policy", "invoice__consultant__user")
        .get(pk=case.pk)
    )
    if case.state not in (Case.State.ACTIVE, Case.State.BELOW_MINIMUM):
        raise ValidationError(
            _("This invoice is %(state)s: resume it first.") % {"state": case.get_state_display()}
        )
    held = bank_holds([invoice.pk])
    if held and not despite_bank_credit:
        raise ValidationError(held[invoice.pk], code="bank_credit_proposed")
    steps = list(Step.objects.filter(policy=case.policy).order_by("position"))
    done = list(Action.objects.filter(case=case).order_by("performed_on", "id"))
    if ladder.blocked(done, today):
        raise ValidationError(
            _("The previous reminder has not been sent yet: see the emails page.")
        )
    plans = ladder.steps_due(case, steps, done, today, case.invoice.balance, now=True)
    if not plans:
        raise ValidationError(_("Every step of the ladder has been performed for this invoice."))
    result = RunResult()
    perform.perform_groups(tenant, plans, today, result, actor=actor)
    if result.letters_waiting:
        raise ValidationError(
            _(
                "The formal notice cannot be written without %(rates)s: enter them on the "
                "reference rates page first."
            )
            % {
                "rates": ", ".join(
                    missing_rate_label(rate) for rate in sorted(result.rates_missing)
                )
            }
        )
    mail.send_after_commit(tenant, result.message_ids)
    ladder.refresh_case(case, today)
    return plans[0].step
