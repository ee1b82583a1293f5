"""Reads of credit insurance. Here, what every part of it reads: the policy in force, a
client's limit in force, its exposure, what each insurance year of a policy used of its
annual limits, and the overdue declarations still to make. The reads of one page family
each have their module: `covers` (a policy's terms for the rules, the covered part of an
invoice's balance, the covers past due that the batch works on, what an invoice about to
be issued will not have covered), `limits` (the client's panel, the history of its limit,
every client against its limit), `claims` (an indemnity's parts, the subrogation share of
a payment, the filings and their documents, the claims board), `premiums` (periods,
insurable turnover, the year's premium), `blank_tests` (the comparison of the insurers'
answers) and `figures` (the administrator's home)."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import Coalesce

from insurance import rules
from insurance.models import Claim, ClaimInvoice, CreditLimit, Declaration, InsurancePolicy
from invoices import amounts
from invoices.selectors import open_invoices
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
    return _still_in_force(decisions.order_by("-effective_from", "-id").first(), day)


def _still_in_force(latest, day):
    if latest is None or (latest.valid_until and latest.valid_until < day):
        return None
    return latest


def _limit_of(decision):
    if decision is None:
        return None
    if decision.status in (CreditLimit.Status.REFUSED, CreditLimit.Status.CANCELLED):
        return ZERO
    return decision.amount


def limit_in_force(client, day, policy=None):
    """The client's named limit on `day` (0 when refused or cancelled), or None."""
    return _limit_of(limit_decision_in_force(client, day, policy))


def limits_in_force(pairs, day):
    """`limit_in_force` for many (client pk, policy pk) pairs in one query (the daily
    batch's claims): {(client pk, policy pk): limit or None}."""
    pairs = set(pairs)
    latest = {}
    decisions = (
        CreditLimit.objects.filter(
            client_id__in={client for client, _policy in pairs},
            policy_id__in={policy for _client, policy in pairs},
            effective_from__lte=day,
        )
        .exclude(status=CreditLimit.Status.REQUESTED)
        .order_by("-effective_from", "-id")
    )
    for decision in decisions:
        latest.setdefault((decision.client_id, decision.policy_id), decision)
    return {pair: _limit_of(_still_in_force(latest.get(pair), day)) for pair in pairs}


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
        amount = amounts.balance()
    else:
        amount = ExpressionWrapper(
            amounts.balance() * F("total_ht") / F("total_ttc"), output_field=MONEY
        )
    total = invoices.filter(total_ttc__gt=0).aggregate(total=Coalesce(Sum(amount), ZERO))
    return Decimal(total["total"]).quantize(Decimal("0.01"))


# The claims that use the year's annual maximum and aggregate deductible: those the insurer
# paid, and those it may still pay. A rejected claim, or one closed without an indemnity (the
# client paid, the claim was withdrawn), uses neither.
OPEN_CLAIM_STATES = (Claim.State.TO_FILE, Claim.State.FILED, Claim.State.ACKNOWLEDGED)
COUNTED_CLAIMS = Q(indemnity_amount__isnull=False) | Q(state__in=OPEN_CLAIM_STATES)


@dataclass(frozen=True)
class InsuranceYear:
    """What the claims of one insurance year used of the policy's annual limits.

    `indemnity_paid` is what the insurer paid on the year's claims, `indemnity_expected`
    what it is expected to pay on those still open; both count against the annual maximum.
    `deductible_borne` is the part of the annual aggregate deductible the year's claims
    consumed. `annual_max` and `aggregate` are the policy's terms (None: the policy has
    none)."""

    starts_on: date
    ends_on: date
    claims: int
    indemnity_paid: Decimal
    indemnity_expected: Decimal
    deductible_borne: Decimal
    annual_max: Decimal | None
    aggregate: Decimal | None

    @property
    def indemnity_used(self):
        return self.indemnity_paid + self.indemnity_expected

    @property
    def max_left(self):
        return None if self.annual_max is None else max(ZERO, self.annual_max - self.indemnity_used)

    @property
    def aggregate_left(self):
        if self.aggregate is None:
            return None
        return max(ZERO, self.aggregate - self.deductible_borne)

    def holds(self, day):
        return self.starts_on <= day <= self.ends_on


def claim_insurance_year(policy, day):
    """The insurance year a claim opened on `day` belongs to, as (first day, last day).

    A claim is placed by the day it is opened: the day the batch finds the waiting period
    (délai de carence) run with the invoice still unpaid. For a protracted default that is the
    date of loss (Atradius: "date of loss = expiry of the waiting period for protracted
    default"), the day the loss becomes one under the policy; it is known when the indemnity
    is computed, so the figures the claim was computed against never move afterwards, and
    the day the insurer happens to pay does not push a loss into the next year. A claim
    opened after the policy's end counts in its last year (`rules.insurance_year`)."""
    return rules.insurance_year(starts_on=policy.starts_on, ends_on=policy.ends_on, day=day)


def _year_claims(policy, starts_on, ends_on):
    claims = Claim.objects.filter(policy=policy, opened_on__gte=starts_on).filter(COUNTED_CLAIMS)
    if ends_on < policy.ends_on:
        claims = claims.filter(opened_on__lte=ends_on)
    return claims


def insurance_year_use(policy, day):
    """What the claims of the insurance year holding `day` (`claim_insurance_year`) used of
    the annual maximum indemnity and of the annual aggregate deductible."""
    starts_on, ends_on = claim_insurance_year(policy, day)
    totals = _year_claims(policy, starts_on, ends_on).aggregate(
        claims=Count("pk"),
        deductible=Coalesce(Sum("aggregate_used"), ZERO),
        paid=Coalesce(Sum("indemnity_amount", filter=Q(indemnity_amount__isnull=False)), ZERO),
        expected=Coalesce(Sum("expected_indemnity", filter=Q(indemnity_amount__isnull=True)), ZERO),
    )
    return InsuranceYear(
        starts_on=starts_on,
        ends_on=ends_on,
        claims=totals["claims"],
        indemnity_paid=totals["paid"],
        indemnity_expected=totals["expected"],
        deductible_borne=totals["deductible"],
        annual_max=policy.annual_max_indemnity,
        aggregate=policy.annual_aggregate_deductible,
    )


def policy_year_totals(policy, day):
    """(deductible borne, indemnities paid or expected) in the insurance year of a claim
    opened on `day`: what `rules.compute_indemnity` takes as the year to date."""
    year = insurance_year_use(policy, day)
    return year.deductible_borne, year.indemnity_used


def insurance_years_use(policy):
    """`insurance_year_use` for each insurance year of the policy, the first first."""
    return [
        insurance_year_use(policy, starts_on)
        for starts_on, _ends_on in rules.insurance_years(
            starts_on=policy.starts_on, ends_on=policy.ends_on
        )
    ]


# Overdue declarations (déclarations de menace de sinistre)

# A claim filed with the insurer, acknowledged or indemnified has told it of the unpaid
# invoice: there is no threat left to declare.
CLAIM_TOLD_INSURER = (
    Claim.State.FILED,
    Claim.State.ACKNOWLEDGED,
    Claim.State.INDEMNIFIED,
    Claim.State.PARTIAL,
)

# A declaration this close to its deadline is shown as urgent, and the admins are alerted.
DEADLINE_NEAR_DAYS = 2


def _claimed_invoices():
    return ClaimInvoice.objects.filter(claim__state__in=CLAIM_TOLD_INSURER).values("invoice_id")


def claimed_invoice_ids(invoices):
    """The ids of those of `invoices` a claim told the insurer of (`CLAIM_TOLD_INSURER`):
    no overdue is declared for them."""
    return set(
        _claimed_invoices().filter(invoice__in=invoices).values_list("invoice_id", flat=True)
    )


def declaration_told_by_claim(declaration):
    """Whether a claim told the insurer of the declaration's invoice: nothing left to
    declare, nothing to send."""
    return declarations_told_by_claim().filter(pk=declaration.pk).exists()


def declarations_outstanding():
    """The declarations not made yet: waiting to be sent, refused by the insurer's API, or
    found late by the batch, except those of an invoice a claim already told the insurer
    of (`CLAIM_TOLD_INSURER`)."""
    return Declaration.objects.exclude(status=Declaration.Status.SENT).exclude(
        invoice_id__in=_claimed_invoices()
    )


def declarations_told_by_claim():
    """The declarations not made whose invoice a claim told the insurer of: nothing left to
    declare."""
    return Declaration.objects.exclude(status=Declaration.Status.SENT).filter(
        invoice_id__in=_claimed_invoices()
    )


def declarations_cover_lost(*, today):
    """Outstanding declarations whose deadline has passed: the policy's cover of the invoice
    is lost unless the insurer accepts the late declaration. The deadline day itself is
    still in time."""
    return declarations_outstanding().filter(deadline__lt=today)


def declarations_to_declare(*, today):
    """Outstanding declarations still in time, the deadline today or later."""
    return declarations_outstanding().filter(deadline__gte=today)


@dataclass(frozen=True)
class DeclarationCounts:
    """The overdue declarations as every page counts and colours them: `lost` past their
    deadline (danger), `to_declare` still in time, `near` of those within
    `DEADLINE_NEAR_DAYS` of it (warning)."""

    lost: int
    to_declare: int
    near: int


def deadline_near(deadline, *, today):
    """Whether a deadline still in time is within `DEADLINE_NEAR_DAYS` of `today`."""
    return today <= deadline <= today + timedelta(DEADLINE_NEAR_DAYS)


def declaration_counts(*, today):
    """`DeclarationCounts` on `today`, in one query."""
    totals = declarations_outstanding().aggregate(
        lost=Count("pk", filter=Q(deadline__lt=today)),
        to_declare=Count("pk", filter=Q(deadline__gte=today)),
        near=Count(
            "pk",
            filter=Q(deadline__gte=today, deadline__lte=today + timedelta(DEADLINE_NEAR_DAYS)),
        ),
    )
    return DeclarationCounts(**totals)
