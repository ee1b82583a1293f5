"""The admin's side of the ladder: dunning policies and their steps, a client's policy and
language, and the half-year reference rates. Every change is audited.

A step the ladder has already performed for some invoice (it has `Action`s) stays: its
actions point to it, and the invoices it was performed for must not climb it again. Its
dates and wording may still change; it may not be deleted or change kind.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, ProtectedError
from django.utils.translation import gettext as _

from dunning import penalties
from dunning.models import Case, Channel, ClientSettings, Policy, RateSemester, Step, StepKind
from dunning.selectors import half_year_label
from dunning.services.ladder import LIVE_STATES, refresh_cases
from dunning.services.mail import PLACEHOLDER
from invoices.models import Client
from portage.batch import paris_today
from portage.services import audit_diff, audit_record, snapshot
from portage.templatetags.portage import percent

POLICY_FIELDS = [
    "name",
    "minimum_balance",
    "group_invoices",
    "catch_up",
    "notice_deadline_days",
]
STEP_FIELDS = [
    "kind",
    "channel",
    "days_from_due",
    "min_days_after_previous",
    "subject_fr",
    "body_fr",
    "subject_en",
    "body_en",
]
TEMPLATE_FIELDS = ["subject_fr", "body_fr", "subject_en", "body_en"]
PLACEHOLDERS = [
    "client",
    "invoices",
    "total",
    "penalties",
    "indemnities",
    "total_claimed",
    "deadline",
    "company",
    "consultant",
    "iban",
]
# Each kind of step has one way of being performed (see dunning.services.perform).
KIND_CHANNEL = {
    StepKind.CONSULTANT_REMINDER: Channel.CONSULTANT_EMAIL,
    StepKind.FIRST_REMINDER: Channel.CLIENT_EMAIL,
    StepKind.SECOND_REMINDER: Channel.CLIENT_EMAIL,
    StepKind.FORMAL_NOTICE: Channel.LETTER,
    StepKind.LITIGATION: Channel.LITIGATION_FILE,
}
# Channels that send an email written from the step's templates.
EMAIL_CHANNELS = {Channel.CLIENT_EMAIL, Channel.CONSULTANT_EMAIL, Channel.LETTER}


def placeholders_help():
    return ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)


def _template_label(name):
    return {
        "subject_fr": _("French subject"),
        "body_fr": _("French body"),
        "subject_en": _("English subject"),
        "body_en": _("English body"),
    }[name]


def _step_label(number, kind):
    return _("Step %(number)s (%(kind)s)") % {
        "number": number,
        "kind": StepKind(kind).label if kind in StepKind.values else kind,
    }


def steps_validate(steps):
    """The ladder's rules, all reported at once: at least one step; the days from the due
    date never go down; litigation, if any, comes last; each kind uses its channel; an email
    or a letter has a French subject and body; only the known {placeholders} are used."""
    errors = []
    if not steps:
        raise ValidationError(_("A policy needs at least one step."), code="no_step")
    previous_days = None
    for number, step in enumerate(steps, start=1):
        label = _step_label(number, step["kind"])
        kind = step["kind"]
        if kind not in StepKind.values:
            errors.append(_("%(step)s: unknown kind.") % {"step": label})
            continue
        if step["channel"] != KIND_CHANNEL[kind]:
            errors.append(
                _("%(step)s: this kind of step is performed by “%(channel)s”.")
                % {"step": label, "channel": KIND_CHANNEL[kind].label}
            )
        if previous_days is not None and step["days_from_due"] < previous_days:
            errors.append(
                _(
                    "%(step)s: it comes after a step at %(previous)s days from the due date, "
                    "so it cannot be at %(days)s days. Order the steps by date."
                )
                % {"step": label, "previous": previous_days, "days": step["days_from_due"]}
            )
        previous_days = step["days_from_due"]
        if kind == StepKind.LITIGATION and number != len(steps):
            errors.append(_("%(step)s: litigation must be the last step.") % {"step": label})
        if step["channel"] in EMAIL_CHANNELS:
            for name in ("subject_fr", "body_fr"):
                if not step.get(name, "").strip():
                    errors.append(
                        _("%(step)s: the %(template)s is required.")
                        % {"step": label, "template": _template_label(name)}
                    )
        for name in TEMPLATE_FIELDS:
            unknown = sorted(
                {found for found in PLACEHOLDER.findall(step.get(name, ""))} - set(PLACEHOLDERS)
            )
            if unknown:
                errors.append(
                    _(
                        "%(step)s: unknown placeholder %(unknown)s in the %(template)s. "
                        "Allowed: %(allowed)s."
                    )
                    % {
                        "step": label,
                        "unknown": ", ".join(f"{{{found}}}" for found in unknown),
                        "template": _template_label(name),
                        "allowed": placeholders_help(),
                    }
                )
    if errors:
        raise ValidationError(errors)


def _clean_steps(steps):
    """The steps as the service stores them: the channel follows the kind when not given,
    texts are stripped, the minimum gap defaults to 0."""
    cleaned = []
    for step in steps:
        kind = step["kind"]
        cleaned.append(
            {
                "id": step.get("id") or None,
                "kind": kind,
                "channel": step.get("channel") or KIND_CHANNEL.get(kind, ""),
                "days_from_due": int(step["days_from_due"]),
                "min_days_after_previous": int(step.get("min_days_after_previous") or 0),
                **{name: (step.get(name) or "").strip() for name in TEMPLATE_FIELDS},
            }
        )
    return cleaned


def _policy_validate(policy, data):
    for name in POLICY_FIELDS:
        setattr(policy, name, data[name])
    policy.name = policy.name.strip()
    policy.full_clean(exclude=["tenant", "is_default"], validate_constraints=False)
    taken = Policy.objects.filter(name__iexact=policy.name)
    if policy.pk:
        taken = taken.exclude(pk=policy.pk)
    if taken.exists():
        raise ValidationError(
            {"name": _("Another policy is already called “%(name)s”.") % {"name": policy.name}}
        )


def _steps_snapshot(policy):
    return [
        snapshot(step, ["position", *STEP_FIELDS]) for step in policy.steps.order_by("position")
    ]


def _lock_policies():
    """Locks every policy of the tenant: the default moves from one to another under it."""
    return list(Policy.objects.select_for_update().order_by("pk"))


def _set_default(policy):
    """`policy` becomes the default (the other one stops being it first: at most one at a
    time, a database constraint)."""
    Policy.objects.filter(is_default=True).exclude(pk=policy.pk).update(is_default=False)
    Policy.objects.filter(pk=policy.pk).update(is_default=True)
    policy.is_default = True


def _write_steps(tenant, policy, steps):
    """Puts the steps in place, position 1 to n: existing ones (by id) are updated, new ones
    created, the others deleted unless the ladder already performed them."""
    existing = {step.pk: step for step in policy.steps.all()}
    kept_ids = set()
    for number, data in enumerate(steps, start=1):
        if data["id"] is None:
            continue
        step = existing.get(data["id"])
        if step is None:
            raise ValidationError(
                _("%(step)s no longer belongs to this policy. Reload the page.")
                % {"step": _step_label(number, data["kind"])}
            )
        if data["kind"] != step.kind and step.actions.exists():
            raise ValidationError(
                _(
                    "%(step)s has already been performed for some invoices: it keeps its "
                    "kind. Add a new step instead."
                )
                % {"step": _step_label(number, step.kind)}
            )
        kept_ids.add(step.pk)
    removed = [step for pk, step in existing.items() if pk not in kept_ids]
    performed = [step for step in removed if step.actions.exists()]
    if performed:
        raise ValidationError(
            [
                _(
                    "The step “%(step)s” has already been performed for some invoices and "
                    "cannot be deleted. You may change its dates and texts."
                )
                % {"step": step}
                for step in performed
            ]
        )
    removed_ids = [step.pk for step in removed]
    if removed_ids:
        # The worklist's "next step" of a case may point to a step going away; the refresh
        # below sets it again.
        Case.objects.filter(next_step_id__in=removed_ids).update(next_step=None, next_step_on=None)
        try:
            with transaction.atomic():
                Step.objects.filter(pk__in=removed_ids).delete()
        except (ProtectedError, IntegrityError) as error:
            raise ValidationError(
                _("A step was performed while you edited the policy. Reload the page.")
            ) from error
    # Positions are unique within a policy: move the kept steps out of the way first.
    offset = 1000
    for pk in kept_ids:
        Step.objects.filter(pk=pk).update(position=existing[pk].position + offset)
    for position, data in enumerate(steps, start=1):
        fields = {name: data[name] for name in STEP_FIELDS}
        if data["id"] is None:
            step = Step(tenant=tenant, policy=policy, position=position, **fields)
        else:
            step = existing[data["id"]]
            step.position = position
            for name, value in fields.items():
                setattr(step, name, value)
        step.full_clean(exclude=["tenant", "policy"], validate_constraints=False)
        step.save()


def _cases_refresh(policy):
    """The followed invoices' next step and its date, after the ladder changed."""
    cases = list(
        Case.objects.select_for_update(of=("self",))
        .filter(policy=policy, state__in=LIVE_STATES)
        .select_related("invoice")
        .order_by("pk")
    )
    steps = {policy.pk: list(policy.steps.order_by("position"))}
    refresh_cases(cases, paris_today(), steps)


def _snapshot_policy(policy):
    return {**snapshot(policy, POLICY_FIELDS), "steps": _steps_snapshot(policy)}


def policy_create(*, tenant, actor, data, steps):
    """A new policy with its ladder. `data` holds the policy fields (and `is_default` to make
    it the company's default at once); `steps` the steps in order."""
    steps = _clean_steps(steps)
    policy = Policy(tenant=tenant)
    _policy_validate(policy, data)
    steps_validate(steps)
    if any(step["id"] for step in steps):
        raise ValidationError(_("A new policy cannot take another policy's steps."))
    with transaction.atomic():
        _lock_policies()
        try:
            with transaction.atomic():
                policy.save()
        except IntegrityError as error:
            raise ValidationError(
                {"name": _("Another policy is already called “%(name)s”.") % {"name": policy.name}}
            ) from error
        _write_steps(tenant, policy, steps)
        if data.get("is_default"):
            _set_default(policy)
        audit_record(
            tenant=tenant,
            actor=actor,
            action="dunning.policy_changed",
            obj=policy,
            after={**_snapshot_policy(policy), "is_default": policy.is_default},
        )
    return policy


def policy_update(*, policy, actor, data, steps):
    """Changes a policy and puts its steps in the given order (dicts; an `id` names an
    existing step of this policy, none a new one; a step left out is deleted, refused if
    the ladder already performed it). Cases following the policy get their next step again.
    """
    steps = _clean_steps(steps)
    steps_validate(steps)
    with transaction.atomic():
        _lock_policies()
        stored = Policy.objects.get(pk=policy.pk)
        before = {**_snapshot_policy(stored), "is_default": stored.is_default}
        if stored.is_default and "is_default" in data and not data["is_default"]:
            raise ValidationError(
                _("A company always has a default policy: make another one the default instead.")
            )
        _policy_validate(stored, data)
        try:
            with transaction.atomic():
                stored.save(update_fields=POLICY_FIELDS)
        except IntegrityError as error:
            raise ValidationError(
                {"name": _("Another policy is already called “%(name)s”.") % {"name": stored.name}}
            ) from error
        _write_steps(stored.tenant, stored, steps)
        if data.get("is_default") and not stored.is_default:
            _set_default(stored)
        after = {**_snapshot_policy(stored), "is_default": stored.is_default}
        old, new = audit_diff(before, after)
        if new:
            audit_record(
                tenant=stored.tenant,
                actor=actor,
                action="dunning.policy_changed",
                obj=stored,
                before=old,
                after=new,
            )
            _cases_refresh(stored)
    return stored


def policy_make_default(*, policy, actor):
    """The policy of every client that has none of its own. One at a time: the previous
    default stops being it in the same transaction."""
    with transaction.atomic():
        policies = _lock_policies()
        stored = next((item for item in policies if item.pk == policy.pk), None)
        if stored is None:
            raise ValidationError(_("This policy no longer exists."))
        if stored.is_default:
            return stored
        previous = next((item for item in policies if item.is_default), None)
        _set_default(stored)
        audit_record(
            tenant=stored.tenant,
            actor=actor,
            action="dunning.policy_changed",
            obj=stored,
            before={"default_policy": previous.name if previous else None},
            after={"default_policy": stored.name},
        )
    return stored


def policy_delete(*, policy, actor):
    """Deletes a policy nobody uses: not the default, no client set to it, no invoice
    followed under it (its cases keep the policy they started with)."""
    with transaction.atomic():
        _lock_policies()
        stored = Policy.objects.filter(pk=policy.pk).first()
        if stored is None:
            raise ValidationError(_("This policy no longer exists."))
        if stored.is_default:
            raise ValidationError(
                _("The default policy cannot be deleted: make another one the default first.")
            )
        if ClientSettings.objects.filter(policy=stored).exists():
            raise ValidationError(
                _("Some clients use this policy: give them another one before deleting it.")
            )
        if Case.objects.filter(policy=stored).exists():
            raise ValidationError(
                _("Invoices have been followed under this policy: it is kept for their history.")
            )
        audit_record(
            tenant=stored.tenant,
            actor=actor,
            action="dunning.policy_changed",
            obj=stored,
            before={**_snapshot_policy(stored), "is_default": False},
            after=None,
        )
        try:
            with transaction.atomic():
                stored.delete()
        except (ProtectedError, IntegrityError) as error:
            raise ValidationError(
                _("The policy started being used while you deleted it: it is kept.")
            ) from error


def policies_with_usage():
    """The tenant's policies, default first, each with its steps, how many clients it applies
    to (the default: every client without a policy of its own) and how many invoices have
    been followed under it."""
    policies = list(
        Policy.objects.annotate(
            explicit_clients=Count("client_settings", distinct=True),
            case_count=Count("cases", distinct=True),
        ).prefetch_related("steps")
    )
    all_clients = Client.objects.count()
    with_other_policy = (
        ClientSettings.objects.filter(policy__isnull=False, policy__is_default=False)
        .values("client")
        .distinct()
        .count()
    )
    for policy in policies:
        policy.client_count = (
            all_clients - with_other_policy if policy.is_default else policy.explicit_clients
        )
        policy.is_deletable = (
            not policy.is_default and not policy.explicit_clients and not policy.case_count
        )
    return policies


def client_settings_of(client):
    return ClientSettings.objects.filter(client=client).select_related("policy").first()


def client_settings_set(*, tenant, client, actor, policy, language):
    """A client's policy (None: the company's default) and the language of its messages.
    Invoices already followed keep the policy they started with; the language applies to
    the next message."""
    if language not in ClientSettings.Language.values:
        raise ValidationError({"language": _("Choose French or English.")})
    if policy is not None and policy.tenant_id != tenant.pk:
        raise ValidationError({"policy": _("Choose one of the company's policies.")})
    with transaction.atomic():
        settings, _created = ClientSettings.objects.get_or_create(
            client=client, defaults={"tenant": tenant}
        )
        settings = (
            ClientSettings.objects.select_for_update(of=("self",))
            .select_related("policy")
            .get(pk=settings.pk)
        )
        before = {
            "policy": settings.policy.name if settings.policy else None,
            "language": settings.language,
        }
        settings.policy = policy
        settings.language = language
        settings.save(update_fields=["policy", "language"])
        old, new = audit_diff(
            before, {"policy": policy.name if policy else None, "language": language}
        )
        if new:
            audit_record(
                tenant=tenant,
                actor=actor,
                action="dunning.client_settings_changed",
                obj=client,
                before=old,
                after=new,
            )
    return settings


RATE_FIELDS = ["ecb_rate", "legal_rate"]


def rates_save(*, tenant, actor, rows):
    """Adds or corrects half-year reference rates. `rows`: dicts with year, half (1: from
    1 January, 2: from 1 July), ecb_rate and legal_rate (in percent, None while not
    published; one of them at least). Returns the rows that changed."""
    changed = []
    with transaction.atomic():
        for data in rows:
            year, half = int(data["year"]), int(data["half"])
            row = RateSemester.objects.select_for_update().filter(year=year, half=half).first()
            before = snapshot(row, RATE_FIELDS) if row else None
            if row is None:
                row = RateSemester(tenant=tenant, year=year, half=half)
            for name in RATE_FIELDS:
                setattr(row, name, data[name])
            if row.ecb_rate is None and row.legal_rate is None:
                raise ValidationError(
                    _("%(row)s: enter at least one of the two rates.") % {"row": row}
                )
            row.full_clean(exclude=["tenant"], validate_constraints=False)
            after = snapshot(row, RATE_FIELDS)
            if before == after:
                continue
            try:
                with transaction.atomic():
                    row.save()
            except IntegrityError as error:
                raise ValidationError(
                    _("The rates of %(row)s were added meanwhile. Reload the page.") % {"row": row}
                ) from error
            old, new = audit_diff(before, after) if before else (None, after)
            audit_record(
                tenant=tenant,
                actor=actor,
                action="dunning.rates_changed",
                obj=row,
                before=old,
                after=new,
            )
            changed.append(row)
    return changed


def contract_rate_check(*, tenant, before, changes, today=None):
    """A contract rate of late penalties may not be under 3 times the legal interest rate of
    the half-year it is set in (Code de commerce L441-10 II): such a clause is void, and
    fined (L441-16). It is refused where it is entered, with the rule; while that
    half-year's legal rate is not in the table, it cannot be checked, and is refused too.
    A rate left as it was is not checked again (penalties apply the floor half-year by
    half-year, see `dunning.penalties.penalty_rate`)."""
    rate = changes.get("late_penalty_rate")
    if rate is None or rate == before.get("late_penalty_rate"):
        return
    half_year = penalties.HalfYear.of(today or paris_today())
    period = half_year_label(half_year)
    legal_rate = (
        RateSemester.objects.filter(year=half_year.year, half=half_year.half)
        .values_list("legal_rate", flat=True)
        .first()
    )
    if legal_rate is None:
        raise ValidationError(
            {
                "late_penalty_rate": _(
                    "The legal interest rate of the %(period)s is not in the reference rates "
                    "yet, so this rate cannot be checked against its floor (3 times the legal "
                    "rate, Code de commerce L441-10). Enter it on the reference rates page "
                    "first, or leave the field empty to apply the ECB rate plus 10 points."
                )
                % {"period": period}
            }
        )
    floor = penalties.contract_rate_floor(legal_rate)
    if Decimal(rate) < floor:
        raise ValidationError(
            {
                "late_penalty_rate": _(
                    "A contract rate of late penalties may not be under 3 times the legal "
                    "interest rate: at least %(floor)s for the %(period)s (3 × %(legal)s). A "
                    "lower rate is void and fined (Code de commerce L441-10 and L441-16)."
                )
                % {"floor": percent(floor), "period": period, "legal": percent(legal_rate)}
            }
        )
