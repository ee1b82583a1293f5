"""Performing the steps the ladder decided: one message, letter or litigation file per
client and step, and one `Action` per invoice and step."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone

from dunning.models import Action, Case, Channel, ClientSettings, Letter, LitigationFile, Message
from dunning.penalties import RatesMissing
from dunning.services import cases as case_states
from dunning.services import letters  # a module: its render task imports the ladder
from dunning.services.mail import message_build
from dunning.signals import step_performed
from portage.money import ZERO
from portage.services import audit_record_many


def perform_groups(tenant, plans, today, result, *, actor=None):
    _record_skips(
        tenant,
        [(plan, step, reason) for plan in plans for step, reason in plan.skipped],
        today,
        result,
        actor,
    )
    by_key = defaultdict(list)
    for plan in plans:
        if plan.step is None:
            continue
        by_key[group_key(plan)].append(plan)
    languages = dict(
        ClientSettings.objects.filter(
            client_id__in={plan.case.client_id for plan in plans}
        ).values_list("client_id", "language")
    )
    groups = [group_prepare(members, today) for members in by_key.values()]
    _write_groups(tenant, [group for group in groups if group.ready], today, actor, languages)
    _announce(tenant, groups, today, result, actor)


@dataclass
class Group:
    """One client's invoices at one step: one message, letter or litigation file for them,
    and one `Action` per invoice."""

    members: list
    claim: list | None = None  # a formal notice's lines
    rates_missing: list | None = None  # the formal notice waits for these rates
    performed: bool = False
    actions: list = field(default_factory=list)
    message: Message | None = None
    letter: Letter | None = None
    litigation: LitigationFile | None = None
    status: str = Action.Status.DONE

    @property
    def step(self):
        return self.members[0].step

    @property
    def client(self):
        return self.members[0].case.client

    @property
    def invoices(self):
        return [plan.case.invoice for plan in self.members]

    @property
    def ready(self):
        return self.rates_missing is None


def group_prepare(members, today):
    """The group of `members` (plans of one client and step), with its formal notice's
    lines counted when the step is a letter."""
    group = Group(members=members)
    if group.step.channel == Channel.LETTER:
        try:
            group.claim = letters.claim_lines(group.invoices, today)
        except RatesMissing as error:
            # Never a letter at another half-year's rate: the step waits for the rates, and
            # the next run performs it once they are entered.
            group.rates_missing = error.missing
    return group


def _write_groups(tenant, groups, today, actor, languages):
    """The groups' letters, litigation files, messages and actions, one INSERT per kind of
    row for all of them. Should another run have performed one of these steps, the database
    refuses the lot and each group is written on its own: those another run performed are
    left as they are (not `performed`)."""
    if not groups:
        return
    try:
        with transaction.atomic():
            _write(tenant, groups, today, actor, languages)
    except IntegrityError:
        for group in groups:
            try:
                with transaction.atomic():
                    _write(tenant, [group], today, actor, languages)
            except IntegrityError:
                continue
            group.performed = True
        return
    for group in groups:
        group.performed = True


def _write(tenant, groups, today, actor, languages):
    """Each group's message is composed before its actions, which are inserted with their
    status and their message, letter or litigation file."""
    for group in groups:
        group.message = group.letter = group.litigation = None
        if group.step.channel == Channel.LETTER:
            group.letter = letters.letter_create(
                tenant=tenant,
                client=group.client,
                lines=group.claim,
                letter_date=today,
                deadline_days=group.members[0].case.policy.notice_deadline_days,
            )
    litigated = [group for group in groups if group.step.channel == Channel.LITIGATION_FILE]
    files = LitigationFile.objects.bulk_create(
        LitigationFile(
            tenant=tenant,
            client=group.client,
            invoice_pks=[invoice.pk for invoice in group.invoices],
            amount=sum((plan.balance for plan in group.members), ZERO),
            opened_on=today,
        )
        for group in litigated
    )
    for group, litigation in zip(litigated, files, strict=True):
        group.litigation = litigation
    if litigated:
        case_states.cases_open_litigation(
            Case.objects.filter(
                pk__in=[plan.case.pk for group in litigated for plan in group.members]
            )
        )
    composed = [group for group in groups if _compose(tenant, group, today, languages)]
    Message.objects.bulk_create(group.message for group in composed)
    for group in groups:
        group.status = Action.Status.DONE
        if group.message is not None and group.step.channel != Channel.LETTER:
            failed = group.message.status == Message.Status.FAILED
            group.status = Action.Status.FAILED if failed else Action.Status.PENDING
        group.actions = [
            Action(
                tenant=tenant,
                case=plan.case,
                invoice=plan.case.invoice,
                step=group.step,
                kind=group.step.kind,
                status=group.status,
                performed_on=today,
                balance=plan.balance,
                performed_by=actor,
                message=group.message,
                letter=group.letter,
                litigation=group.litigation,
            )
            for plan in group.members
        ]
    Action.objects.bulk_create(action for group in groups for action in group.actions)


def _compose(tenant, group, today, languages):
    """Builds the group's message, if its step sends one (a formal notice's email copy
    when the client has an address); returns it."""
    step, client = group.step, group.client
    addressing = None
    if step.channel == Channel.CONSULTANT_EMAIL:
        consultant = group.invoices[0].consultant
        addressing = {"to": [consultant.user.email], "language": "fr", "consultant": consultant}
    elif step.channel == Channel.CLIENT_EMAIL:
        addressing = {"to": list(client.billing_emails), "language": languages.get(client.pk, "fr")}
    elif step.channel == Channel.LETTER and client.billing_emails:
        addressing = {
            "to": list(client.billing_emails),
            "language": languages.get(client.pk, "fr"),
            "letter": group.letter,
        }
    if addressing is None:
        return None
    group.message = message_build(
        tenant=tenant, client=client, step=step, invoices=group.invoices, day=today, **addressing
    )
    return group.message


def _announce(tenant, groups, today, result, actor):
    """The day's summary, the webhooks' events and the audit lines of the groups performed,
    in the groups' order; each kind written once for all of them."""
    performed = []
    for group in groups:
        step, client = group.step, group.client
        if not group.ready:
            result.letter_waits(client, group.invoices, group.rates_missing)
            continue
        if not group.performed:
            # Another run performed this step for one of these invoices: the database said so.
            result.lines.append(f"{client}: {step.get_kind_display()} already performed")
            continue
        performed.append(group)
        if group.letter is not None:
            result.letters += 1
        if group.litigation is not None:
            result.litigation_files += 1
            for plan in group.members:
                case_states.case_to_litigation(plan.case)
        if group.message is not None:
            result.messages += 1
            result.message_ids.append(group.message.pk)
        result.steps += len(group.actions)
        numbers = ", ".join(invoice.number for invoice in group.invoices)
        result.lines.append(f"{client}: {step.get_kind_display()} — {numbers}")
    if not performed:
        return
    step_performed.send(
        Action,
        groups=[(group.actions, group.step, group.client, group.status) for group in performed],
        day=today,
    )
    at = timezone.now().isoformat(timespec="seconds")
    audit_record_many(
        tenant=tenant,
        actor=actor,
        actor_label=None if actor else "Relances automatiques",
        action="dunning.step_performed",
        entries=[
            (
                group.actions[0],
                {
                    "step": group.step.get_kind_display(),
                    "invoices": ", ".join(invoice.number for invoice in group.invoices),
                    "date": today.isoformat(),
                    "at": at,
                },
            )
            for group in performed
        ],
    )


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
