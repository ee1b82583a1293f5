"""Reads of credit limits (agréments): the insurers' grades brought to one scale, the
request waiting for a decision, what the client's page shows of its credit insurance, the
history of its limit, and every client against its limit."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db.models import ExpressionWrapper, F, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce

from insurance import rules
from insurance.models import Cover, CreditLimit
from insurance.selectors import (
    MONEY,
    exposure,
    limit_decision_in_force,
    limit_in_force,
    policy_in_force,
)
from invoices import amounts
from invoices.models import Client
from invoices.selectors import open_invoices
from portage.money import ZERO

Status = CreditLimit.Status
Scale = CreditLimit.Scale

# A decision that lowers the cover takes effect after the policy's notice.
AFTER_NOTICE = {Status.REDUCED, Status.CANCELLED}
NO_AMOUNT = {Status.REFUSED, Status.CANCELLED}

# The insurers' grading scales: (lowest grade, highest grade, whether the best is high).
SCALES = {
    Scale.ALLIANZ: (1, 10, False),
    Scale.COFACE: (0, 10, True),
}


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


def pending_request(client, policy):
    """The client's latest request under the policy when no decision has followed it."""
    latest = CreditLimit.objects.filter(client=client, policy=policy).order_by("-id").first()
    if latest is not None and latest.status == Status.REQUESTED:
        return latest
    return None


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
