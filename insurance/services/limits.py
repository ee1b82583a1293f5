"""Credit limits (agréments): a client's limit asked of the insurer and the insurer's
decisions, kept as a history. A decision is never changed: each one is a new row, and the
limit in force on a day is the latest decision effective then
(`insurance.selectors.limit_in_force`).

A reduced or cancelled limit takes effect after the policy's notice (`notice_days`):
deliveries made before the end of the notice stay covered by the old limit.
"""

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import DecimalField, ExpressionWrapper, F, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from insurance import rules
from insurance.models import Cover, CreditLimit
from insurance.selectors import exposure, limit_decision_in_force, limit_in_force, policy_in_force
from invoices import amounts
from invoices.models import Client
from invoices.selectors import open_invoices
from portage.money import ZERO, to_cents
from portage.services import audit_record
from portage.templatetags.portage import euros

Status = CreditLimit.Status
Scale = CreditLimit.Scale

DECISIONS = [Status.GRANTED, Status.PARTIAL, Status.REFUSED, Status.REDUCED, Status.CANCELLED]
# A decision that lowers the cover takes effect after the policy's notice.
AFTER_NOTICE = {Status.REDUCED, Status.CANCELLED}
NEEDS_AMOUNT = {Status.GRANTED, Status.PARTIAL, Status.REDUCED}
NO_AMOUNT = {Status.REFUSED, Status.CANCELLED}

# The insurers' grading scales: (lowest grade, highest grade, whether the best is high).
SCALES = {
    Scale.ALLIANZ: (1, 10, False),
    Scale.COFACE: (0, 10, True),
}
MONEY = DecimalField(max_digits=14, decimal_places=2)


def grade_score(grade, scale):
    """The insurer's grade brought to 0–100 (100 the best), or None when the scale is not
    a known one or the grade is not a number on it."""
    if scale not in SCALES or not grade:
        return None
    low, high, best_is_high = SCALES[scale]
    try:
        return rules.normalise_grade(Decimal(grade.replace(",", ".")), low, high, best_is_high)
    except (InvalidOperation, ValueError):
        return None


def effective_from(policy, status, decided_on):
    """The first day a decision is in force: the day it is taken, or for a reduced or
    cancelled limit the day after the policy's notice has run."""
    if status in AFTER_NOTICE:
        return decided_on + timedelta(days=policy.notice_days)
    return decided_on


def pending_request(client, policy):
    """The client's latest request under the policy when no decision has followed it."""
    latest = CreditLimit.objects.filter(client=client, policy=policy).order_by("-id").first()
    if latest is not None and latest.status == Status.REQUESTED:
        return latest
    return None


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


# Reads


def share_used(exposure_amount, limit):
    """The share of the limit the exposure uses, in percent rounded to the unit (None
    without a limit; a limit of zero with some exposure is fully used and more)."""
    if limit is None:
        return None
    if limit <= ZERO:
        return 100 if exposure_amount > ZERO else 0
    return int((exposure_amount * 100 / limit).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def client_insurance_panel(client, today):
    """What the client's page shows of its credit insurance on `today`: the policy in
    force, the limit in force (and the decision it comes from), the exposure on the basis
    the policy covers, whether it is over the limit, and the covers of its open invoices."""
    policy = policy_in_force(today)
    decision = limit_decision_in_force(client, today, policy) if policy else None
    limit = limit_in_force(client, today, policy) if decision else None
    owed = exposure(client, covers_vat=policy.covers_vat if policy else True)
    covers = list(
        Cover.objects.filter(invoice__in=open_invoices().filter(client=client))
        .select_related("invoice", "policy__insurer")
        .order_by("invoice__due_date", "invoice_id")
    )
    return {
        "policy": policy,
        "limit": limit,
        "limit_decision": decision,
        "exposure": owed,
        "over_limit": limit is not None and owed > limit,
        "covers": covers,
    }


def limit_history(client):
    """Every request and decision on the client's limit, newest first, each with its
    grade brought to 0–100 when the scale is a known one (`score`)."""
    rows = list(
        CreditLimit.objects.filter(client=client)
        .select_related("policy__insurer", "requested_by")
        .order_by("-created_at", "-id")
    )
    for row in rows:
        row.score = grade_score(row.grade, row.grade_scale)
        row.after_notice = row.status in AFTER_NOTICE and row.effective_from != row.decided_on
    return rows


def _exposures(covers_vat):
    """Each client's exposure, on the basis the policy covers, in one query."""
    invoices = open_invoices().filter(client=OuterRef("pk"), total_ttc__gt=0)
    if covers_vat:
        owed = amounts.balance()
    else:
        owed = ExpressionWrapper(
            amounts.balance() * F("total_ht") / F("total_ttc"), output_field=MONEY
        )
    per_client = invoices.values("client").annotate(total=Sum(owed)).values("total")
    return Client.objects.annotate(
        owed=Coalesce(Subquery(per_client, output_field=MONEY), ZERO, output_field=MONEY)
    )


def limits_overview(today):
    """Every client with its limit in force on `today` under the policy in force, its
    exposure, the share used and a pending request; those over their limit first, then by
    exposure. Three queries, whatever the number of clients."""
    policy = policy_in_force(today)
    covers_vat = policy.covers_vat if policy else True
    clients = list(_exposures(covers_vat).order_by("legal_name"))
    decisions, pending = {}, {}
    if policy is not None:
        latest, in_force = {}, {}
        for row in CreditLimit.objects.filter(policy=policy):
            last = latest.get(row.client_id)
            if last is None or row.id > last.id:
                latest[row.client_id] = row
            if row.status == Status.REQUESTED or row.effective_from is None:
                continue
            if row.effective_from <= today:
                best = in_force.get(row.client_id)
                if best is None or (row.effective_from, row.id) > (best.effective_from, best.id):
                    in_force[row.client_id] = row
        decisions = {
            client_id: row
            for client_id, row in in_force.items()
            if row.valid_until is None or row.valid_until >= today
        }
        pending = {
            client_id: row for client_id, row in latest.items() if row.status == Status.REQUESTED
        }
    result = []
    for client in clients:
        owed = Decimal(client.owed).quantize(Decimal("0.01"))
        decision = decisions.get(client.pk)
        limit = None
        if decision is not None:
            limit = ZERO if decision.status in NO_AMOUNT else decision.amount
        result.append(
            {
                "client": client,
                "decision": decision,
                "limit": limit,
                "exposure": owed,
                "share_used": share_used(owed, limit),
                "over_limit": limit is not None and owed > limit,
                "request": pending.get(client.pk),
            }
        )
    result.sort(key=lambda row: (not row["over_limit"], -row["exposure"], row["client"].legal_name))
    return policy, result
