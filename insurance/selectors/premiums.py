"""Reads of a credit insurance policy's premiums (primes): its declaration periods, the
insurable turnover computed from the invoices, each period with its declaration for the
premiums page, and the year's premium (regularisation, or a flat premium's ceiling used).
What the premiums cost is `insurance.rules`; declaring a period is
`insurance.services.premiums`."""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Q, Sum, Value
from django.db.models.functions import Coalesce

from insurance import rules
from insurance.models import InsurancePolicy, TurnoverDeclaration
from insurance.selectors import MONEY
from invoices.models import Invoice
from portage.money import ZERO, to_cents

MONTHS = {InsurancePolicy.Period.MONTHLY: 1, InsurancePolicy.Period.QUARTERLY: 3}


def _add_months(day, months):
    """The same day `months` later, on the month's last day when it has fewer days."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def periods(policy):
    """The declaration periods of the policy, as (first day, last day): a month or a quarter
    counted from its start date, the last one cut at its end date."""
    step = MONTHS[policy.declaration_period]
    found = []
    number = 0
    start = policy.starts_on
    while start <= policy.ends_on:
        number += 1
        next_start = _add_months(policy.starts_on, number * step)
        found.append((start, min(next_start - timedelta(days=1), policy.ends_on)))
        start = next_start
    return found


def _turnover_sums(policy, ranges):
    """The insurable turnover of each (first day, last day) range, in one query: invoices
    excl. VAT issued in the range, less the credit notes issued in it, drafts left out, to
    the clients the policy covers (category and country not excluded)."""
    invoices = (
        Invoice.objects.filter(tenant_id=policy.tenant_id)
        .exclude(status=Invoice.Status.DRAFT)
        .exclude(client__category__in=policy.excluded_categories)
        .exclude(client__country__in=[code.upper() for code in policy.excluded_countries])
    )

    def total(kind, first, last):
        return Coalesce(
            Sum("total_ht", filter=Q(kind=kind, issue_date__range=(first, last))),
            Value(ZERO),
            output_field=MONEY,
        )

    sums = {}
    for index, (first, last) in enumerate(ranges):
        sums[f"invoiced_{index}"] = total(Invoice.Kind.INVOICE, first, last)
        sums[f"credited_{index}"] = total(Invoice.Kind.CREDIT_NOTE, first, last)
    found = invoices.aggregate(**sums)
    return [
        to_cents(found[f"invoiced_{index}"] - found[f"credited_{index}"])
        for index in range(len(ranges))
    ]


def insurable_turnover(policy, start, end):
    """The insurable turnover excl. VAT from `start` to `end` (both included)."""
    return _turnover_sums(policy, [(start, end)])[0]


class PeriodStatus:
    DECLARED = "declared"
    TO_DECLARE = "to_declare"
    IN_PROGRESS = "in_progress"
    UPCOMING = "upcoming"


@dataclass
class PeriodRow:
    """A period of the premiums page: its computed turnover and its declaration, if any."""

    start: date
    end: date
    computed: Decimal
    declaration: TurnoverDeclaration | None
    status: str

    @property
    def can_declare(self):
        return self.status == PeriodStatus.TO_DECLARE


def period_rows(policy, *, today):
    """Each period with its computed turnover (one query for all) and its declaration. A
    period is declared once it has ended."""
    ranges = periods(policy)
    declared = {row.period_start: row for row in policy.turnover_declarations.all()}
    rows = []
    for (start, end), computed in zip(ranges, _turnover_sums(policy, ranges), strict=True):
        declaration = declared.get(start)
        if declaration is not None:
            status = PeriodStatus.DECLARED
        elif end < today:
            status = PeriodStatus.TO_DECLARE
        elif start <= today:
            status = PeriodStatus.IN_PROGRESS
        else:
            status = PeriodStatus.UPCOMING
        rows.append(PeriodRow(start, end, computed, declaration, status))
    return rows


def year_end(policy):
    """The year's premium of the policy.

    Turnover-rated: the regularisation (`rules.regularisation`) on the turnovers declared so
    far: premium due (never under the minimum premium), the deposit, the balance to pay
    (positive) or refunded (negative). Flat: the premium and the share of the turnover
    ceiling used by the insurable turnover of the whole policy period
    (`rules.flat_premium_usage`); None when the policy sets no ceiling."""
    if policy.premium_model == InsurancePolicy.PremiumModel.TURNOVER:
        return rules.regularisation(
            declared_turnovers=policy.turnover_declarations.values_list(
                "insurable_turnover", flat=True
            ),
            rate_percent=policy.premium_rate,
            deposit=policy.deposit,
            minimum_premium=policy.minimum_premium,
        )
    if policy.turnover_ceiling <= ZERO:
        return None
    return rules.flat_premium_usage(
        premium=policy.flat_premium,
        ceiling=policy.turnover_ceiling,
        insurable_turnover=insurable_turnover(policy, policy.starts_on, policy.ends_on),
    )
