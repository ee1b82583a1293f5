"""Credit limits (agréments): a client's limit asked of the insurer and the insurer's
decisions, kept as a history. A decision is never changed: each one is a new row, and the
limit in force on a day is the latest decision effective then
(`insurance.selectors.limit_in_force`).

A reduced or cancelled limit takes effect after the policy's notice (`notice_days`):
deliveries made before the end of the notice stay covered by the old limit.
"""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from insurance.models import CreditLimit
from insurance.selectors import limit_in_force
from insurance.selectors.limits import AFTER_NOTICE, NO_AMOUNT, SCALES, grade_score, pending_request
from invoices.models import Client
from portage.money import ZERO, to_cents
from portage.services import audit_record
from portage.templatetags.portage import euros

Status = CreditLimit.Status
Scale = CreditLimit.Scale

DECISIONS = [Status.GRANTED, Status.PARTIAL, Status.REFUSED, Status.REDUCED, Status.CANCELLED]
NEEDS_AMOUNT = {Status.GRANTED, Status.PARTIAL, Status.REDUCED}


def effective_from(policy, status, decided_on):
    """The first day a decision is in force: the day it is taken, or for a reduced or
    cancelled limit the day after the policy's notice has run."""
    if status in AFTER_NOTICE:
        return decided_on + timedelta(days=policy.notice_days)
    return decided_on


def _same_company(tenant, client, policy):
    if client.tenant_id != tenant.pk or policy.tenant_id != tenant.pk:
        raise ValidationError(_("This client or this policy belongs to another company."))


def _lock_client(client):
    """Decisions on one client are taken one at a time: each reads the one before."""
    Client.objects.select_for_update().get(pk=client.pk)


def _audit(tenant, actor, action, row):
    audit_record(
        tenant=tenant,
        actor=actor,
        action=action,
        obj=row,
        after={
            "client": str(row.client),
            "policy": row.policy.number,
            "status": row.status,
            "requested_amount": row.requested_amount,
            "amount": row.amount,
            "grade": row.grade,
            "grade_scale": row.grade_scale,
            "decided_on": row.decided_on,
            "effective_from": row.effective_from,
            "valid_until": row.valid_until,
            "insurer_reference": row.insurer_reference,
            "source": row.source,
        },
    )


@transaction.atomic
def limit_request(*, tenant, client, policy, amount, actor, source=CreditLimit.Source.BACK_OFFICE):
    """Records that a limit of `amount` was asked of the insurer for the client."""
    _same_company(tenant, client, policy)
    if amount is None or to_cents(amount) <= ZERO:
        raise ValidationError({"amount": _("Give the amount asked, above zero.")})
    if source not in CreditLimit.Source.values:
        raise ValidationError({"source": _("Unknown source.")})
    _lock_client(client)
    row = CreditLimit.objects.create(
        tenant=tenant,
        client=client,
        policy=policy,
        status=Status.REQUESTED,
        requested_amount=to_cents(amount),
        amount=ZERO,
        source=source,
        requested_by=actor,
    )
    _audit(tenant, actor, "insurance.limit_requested", row)
    return row


def _decision_errors(
    *, client, policy, status, amount, grade, grade_scale, decided_on, valid_until, request
):
    errors = {}

    def refuse(field, message):
        errors.setdefault(field, []).append(message)

    if status not in DECISIONS:
        refuse("status", _("Choose the insurer's decision."))
    if decided_on is None:
        refuse("decided_on", _("Give the date of the insurer's decision."))
    if status in NEEDS_AMOUNT and (amount is None or amount <= ZERO):
        refuse("amount", _("A granted, partial or reduced limit needs its amount, above zero."))
    if status in NO_AMOUNT and amount not in (None, ZERO):
        refuse("amount", _("A refused or cancelled limit is zero: leave the amount empty."))
    if status == Status.PARTIAL and amount and request and amount > request.requested_amount:
        refuse(
            "amount",
            _("A partial limit cannot exceed the amount asked (%(asked)s).")
            % {"asked": euros(request.requested_amount)},
        )
    if status == Status.REDUCED and amount and decided_on is not None:
        current = limit_in_force(client, decided_on, policy)
        if current is not None and amount >= current:
            refuse(
                "amount",
                _("A reduced limit is below the limit in force (%(current)s).")
                % {"current": euros(current)},
            )
    if grade and grade_scale in SCALES and grade_score(grade, grade_scale) is None:
        low, high, _best_is_high = SCALES[grade_scale]
        refuse(
            "grade",
            _("On this scale a grade is a number from %(low)s to %(high)s.")
            % {"low": low, "high": high},
        )
    if grade_scale not in Scale.values:
        refuse("grade_scale", _("Unknown grading scale."))
    starts = effective_from(policy, status, decided_on) if decided_on else None
    if valid_until is not None and starts is not None and valid_until < starts:
        refuse("valid_until", _("The limit cannot expire before it comes into force."))
    return errors


@transaction.atomic
def limit_decide(
    *,
    tenant,
    client,
    policy,
    actor,
    status,
    amount=None,
    grade="",
    grade_scale=Scale.OTHER,
    decided_on,
    valid_until=None,
    insurer_reference="",
    note="",
):
    """Records the insurer's decision on the client's limit, as a new row of its history.

    It is in force from the day it was taken, except a reduced or cancelled limit, in force
    once the policy's notice has run (`decided_on` + `notice_days`). A granted, partial or
    reduced limit has an amount above zero; a partial one at most the amount asked, when
    there is a request; a reduced one below the limit in force. A refused or cancelled
    limit is zero.
    """
    _same_company(tenant, client, policy)
    _lock_client(client)
    amount = None if amount is None else to_cents(amount)
    grade = (grade or "").strip()
    request = pending_request(client, policy)
    errors = _decision_errors(
        client=client,
        policy=policy,
        status=status,
        amount=amount,
        grade=grade,
        grade_scale=grade_scale,
        decided_on=decided_on,
        valid_until=valid_until,
        request=request,
    )
    if errors:
        raise ValidationError(errors)
    row = CreditLimit.objects.create(
        tenant=tenant,
        client=client,
        policy=policy,
        status=status,
        requested_amount=request.requested_amount if request else None,
        amount=ZERO if status in NO_AMOUNT else amount,
        grade=grade,
        grade_scale=grade_scale,
        source=CreditLimit.Source.INSURER,
        decided_on=decided_on,
        effective_from=effective_from(policy, status, decided_on),
        valid_until=valid_until,
        insurer_reference=insurer_reference.strip(),
        note=note.strip(),
    )
    _audit(tenant, actor, "insurance.limit_decided", row)
    return row
