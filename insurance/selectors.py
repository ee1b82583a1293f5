"""Reads of credit insurance: the policy in force, a client's limit in force, its exposure."""

from decimal import Decimal

from django.db.models import DecimalField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import Coalesce

from insurance.models import Claim, Cover, CreditLimit, InsurancePolicy
from invoices.selectors import BALANCE, open_invoices
from portage.money import ZERO

MONEY = DecimalField(max_digits=14, decimal_places=2)


def policy_in_force(day):
    """The policy in force on `day` (its first and last days included), or None."""
    return (
        InsurancePolicy.objects.filter(starts_on__lte=day, ends_on__gte=day)
        .select_related("insurer")
        .order_by("-starts_on")
        .first()
    )


def limit_decision_in_force(client, day, policy=None):
    """The latest decision on the client's limit that is in force on `day`, or None when the
    client has no named limit then. A requested limit is not a decision."""
    decisions = CreditLimit.objects.filter(client=client, effective_from__lte=day).exclude(
        status=CreditLimit.Status.REQUESTED
    )
    if policy is not None:
        decisions = decisions.filter(policy=policy)
    latest = decisions.order_by("-effective_from", "-id").first()
    if latest is None or (latest.valid_until and latest.valid_until < day):
        return None
    return latest


def limit_in_force(client, day, policy=None):
    """The client's named limit on `day` (0 when refused or cancelled), or None."""
    decision = limit_decision_in_force(client, day, policy)
    if decision is None:
        return None
    if decision.status in (CreditLimit.Status.REFUSED, CreditLimit.Status.CANCELLED):
        return ZERO
    return decision.amount


def exposure(client, *, covers_vat=True, exclude=None):
    """What the client owes on its issued invoices: incl. VAT, or its share excl. VAT.
    With `exclude` (an invoice being decided), what it owed before that invoice: the
    invoices issued before it."""
    invoices = open_invoices().filter(client=client)
    if exclude is not None:
        invoices = invoices.exclude(pk=exclude.pk)
        if exclude.issue_date:
            invoices = invoices.filter(
                Q(issue_date__lt=exclude.issue_date)
                | Q(issue_date=exclude.issue_date, pk__lt=exclude.pk)
            )
    if covers_vat:
        amount = BALANCE
    else:
        amount = ExpressionWrapper(BALANCE * F("total_ht") / F("total_ttc"), output_field=MONEY)
    total = invoices.filter(total_ttc__gt=0).aggregate(total=Coalesce(Sum(amount), ZERO))
    return Decimal(total["total"]).quantize(Decimal("0.01"))


def cover_of(invoice):
    return Cover.objects.filter(invoice=invoice).select_related("policy__insurer").first()


def policy_year_totals(policy):
    """What the policy's claims have already used of the annual aggregate deductible and of
    the annual maximum indemnity."""
    claims = Claim.objects.filter(policy=policy).exclude(state=Claim.State.REJECTED)
    totals = claims.aggregate(
        deductible=Coalesce(Sum("aggregate_used"), ZERO),
        indemnity=Coalesce(Sum("indemnity_amount", filter=Q(indemnity_amount__isnull=False)), ZERO),
        expected=Coalesce(Sum("expected_indemnity", filter=Q(indemnity_amount__isnull=True)), ZERO),
    )
    return totals["deductible"], totals["indemnity"] + totals["expected"]
