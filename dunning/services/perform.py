"""Performing the steps the ladder decided: one message, letter or litigation file per
client and step, and one `Action` per invoice and step."""

from collections import defaultdict

from django.db import IntegrityError, transaction
from django.utils import timezone

from dunning.models import Action, Case, Channel, ClientSettings, LitigationFile
from dunning.penalties import RatesMissing
from dunning.services import cases as case_states
from dunning.services import letters  # a module: its render task imports the ladder
from dunning.services.mail import message_compose
from dunning.signals import step_performed
from portage.money import ZERO
from portage.services import audit_record


def perform_groups(tenant, plans, today, result, *, actor=None):
    _record_skips(
        tenant,
        [(plan, step, reason) for plan in plans for step, reason in plan.skipped],
        today,
        result,
        actor,
    )
    groups = defaultdict(list)
    for plan in plans:
        if plan.step is None:
            continue
        groups[group_key(plan)].append(plan)
    languages = dict(
        ClientSettings.objects.filter(
            client_id__in={plan.case.client_id for plan in plans}
        ).values_list("client_id", "language")
    )
    for members in groups.values():
        perform_group(tenant, members, today, result, actor, languages)


def group_key(plan):
    step = plan.step
    if not plan.case.policy.group_invoices:
        return (plan.case.pk, step.pk)
    if step.channel == Channel.CONSULTANT_EMAIL:
        return (plan.case.client_id, step.pk, plan.case.invoice.consultant_id)
    return (plan.case.client_id, step.pk)


def _skip_action(tenant, plan, step, reason, today, actor):
    return Action(
        tenant=tenant,
        case=plan.case,
        invoice=plan.case.invoice,
        step=step,
        kind=step.kind,
        status=Action.Status.SKIPPED,
        performed_on=today,
        reason=reason,
        balance=plan.balance,
        performed_by=actor,
    )


def _record_skips(tenant, skips, today, result, actor):
    """The steps caught up over, in one INSERT (a company's first day on the ladder skips
    thousands). Should another run have written one of them, the database refuses the lot
    and each is written on its own, the existing ones left as they are."""
    if not skips:
        return
    try:
        with transaction.atomic():
            Action.objects.bulk_create(
                _skip_action(tenant, plan, step, reason, today, actor)
                for plan, step, reason in skips
            )
    except IntegrityError:
        for plan, step, reason in skips:
            _record_skip(tenant, plan, step, reason, today, result, actor)
        return
    for plan, step, _reason in skips:
        _count_skip(plan, step, result)


def _record_skip(tenant, plan, step, reason, today, result, actor):
    try:
        with transaction.atomic():
            _skip_action(tenant, plan, step, reason, today, actor).save()
    except IntegrityError:
        return
    _count_skip(plan, step, result)


def _count_skip(plan, step, result):
    result.skipped += 1
    result.lines.append(f"{plan.case.invoice.number}: {step.get_kind_display()} skipped")


def perform_group(tenant, members, today, result, actor, languages):
    step = members[0].step
    client = members[0].case.client
    invoices = [plan.case.invoice for plan in members]
    claim = None
    if step.channel == Channel.LETTER:
        try:
            claim = letters.claim_lines(invoices, today)
        except RatesMissing as error:
            # Never a letter at another half-year's rate: the step waits for the rates, and
            # the next run performs it once they are entered.
            result.letter_waits(client, invoices, error.missing)
            return
    actions = [
        Action(
            tenant=tenant,
            case=plan.case,
            invoice=plan.case.invoice,
            step=step,
            kind=step.kind,
            status=Action.Status.DONE,
            performed_on=today,
            balance=plan.balance,
            performed_by=actor,
        )
        for plan in members
    ]
    try:
        with transaction.atomic():
            Action.objects.bulk_create(actions)
    except IntegrityError:
        # Another run performed this step for one of these invoices: the database said so.
        result.lines.append(f"{client}: {step.get_kind_display()} already performed")
        return
    language = languages.get(client.pk, "fr")
    message = letter = litigation = None

    def compose(**addressing):
        return message_compose(
            tenant=tenant, client=client, step=step, invoices=invoices, day=today, **addressing
        )

    if step.channel == Channel.CONSULTANT_EMAIL:
        consultant = invoices[0].consultant
        message = compose(to=[consultant.user.email], language="fr", consultant=consultant)
    elif step.channel == Channel.CLIENT_EMAIL:
        message = compose(to=list(client.billing_emails), language=language)
    elif step.channel == Channel.LETTER:
        letter = letters.letter_create(
            tenant=tenant,
            client=client,
            lines=claim,
            letter_date=today,
            deadline_days=members[0].case.policy.notice_deadline_days,
        )
        result.letters += 1
        if client.billing_emails:
            message = compose(to=list(client.billing_emails), language=language, letter=letter)
    elif step.channel == Channel.LITIGATION_FILE:
        litigation = LitigationFile.objects.create(
            tenant=tenant,
            client=client,
            invoice_pks=[invoice.pk for invoice in invoices],
            amount=sum((plan.balance for plan in members), ZERO),
            opened_on=today,
        )
        result.litigation_files += 1
        case_states.cases_open_litigation(
            Case.objects.filter(pk__in=[plan.case.pk for plan in members])
        )
        for plan in members:
            case_states.case_to_litigation(plan.case)
    status = Action.Status.DONE
    if message is not None:
        result.messages += 1
        result.message_ids.append(message.pk)
        if step.channel != Channel.LETTER:
            status = (
                Action.Status.FAILED
                if message.status == message.Status.FAILED
                else Action.Status.PENDING
            )
    Action.objects.filter(pk__in=[action.pk for action in actions]).update(
        status=status, message=message, letter=letter, litigation=litigation
    )
    result.steps += len(actions)
    step_performed.send(Action, actions=actions, step=step, client=client, status=status, day=today)
    numbers = ", ".join(invoice.number for invoice in invoices)
    result.lines.append(f"{client}: {step.get_kind_display()} — {numbers}")
    audit_record(
        tenant=tenant,
        actor=actor,
        actor_label=None if actor else "Relances automatiques",
        action="dunning.step_performed",
        obj=actions[0],
        after={
            "step": step.get_kind_display(),
            "invoices": numbers,
            "date": today.isoformat(),
            "at": timezone.now().isoformat(timespec="seconds"),
        },
    )
