"""Premiums (primes) of a credit insurance policy: a period's insurable turnover declared.
The periods, the turnover computed from the invoices and the year end are read in
`insurance.selectors.premiums`.

A turnover-rated policy is paid as a rate on the insurable turnover (chiffre d'affaires
assurable) declared each month or quarter, with a deposit (prime provisionnelle) paid up
front and a regularisation at the end of the year, where the minimum premium applies. A flat
policy (forfait) costs a fixed premium for an insurable turnover up to a ceiling.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from insurance import rules
from insurance.models import InsurancePolicy, TurnoverDeclaration
from insurance.selectors.premiums import insurable_turnover, periods
from portage.money import ZERO, to_cents
from portage.services import audit_record


def turnover_declare(*, tenant, policy, period_start, actor, declared_on, turnover=None):
    """Declares the insurable turnover of one period of a turnover-rated policy, once.

    The turnover is the one computed from the invoices unless the admin gives another (the
    insurer's figure is the declared one; the computed one is kept in the audit entry). The
    period's premium is turnover × rate; the minimum premium applies only to the year, at
    the regularisation (see `insurance.selectors.premiums.year_end`). A period is declared
    once it has ended."""
    if policy.premium_model != InsurancePolicy.PremiumModel.TURNOVER:
        raise ValidationError(_("A flat premium policy has no turnover to declare."))
    period_end = dict(periods(policy)).get(period_start)
    if period_end is None:
        raise ValidationError(_("This is not one of the policy's declaration periods."))
    if declared_on <= period_end:
        raise ValidationError(
            {
                "declared_on": _("A period is declared once it has ended, after %(day)s.")
                % {"day": period_end.strftime("%d/%m/%Y")}
            }
        )
    computed = insurable_turnover(policy, period_start, period_end)
    declared = to_cents(computed if turnover is None else turnover)
    if declared < ZERO:
        raise ValidationError(
            {"insurable_turnover": _("The insurable turnover cannot be negative.")}
        )
    already = ValidationError(
        _("The period from %(start)s to %(end)s has already been declared.")
        % {"start": period_start.strftime("%d/%m/%Y"), "end": period_end.strftime("%d/%m/%Y")}
    )
    if TurnoverDeclaration.objects.filter(policy=policy, period_start=period_start).exists():
        raise already
    premium = rules.turnover_premium(insurable_turnover=declared, rate_percent=policy.premium_rate)
    try:
        with transaction.atomic():
            declaration = TurnoverDeclaration.objects.create(
                tenant=tenant,
                policy=policy,
                period_start=period_start,
                period_end=period_end,
                insurable_turnover=declared,
                premium=premium,
                declared_on=declared_on,
            )
    except IntegrityError as error:
        # Declared in the meantime from another page: the unique constraint refused it.
        raise already from error
    audit_record(
        tenant=tenant,
        actor=actor,
        action="insurance.turnover_declared",
        obj=declaration,
        after={
            "policy": policy.number,
            "period_start": period_start,
            "period_end": period_end,
            "computed_turnover": computed,
            "insurable_turnover": declared,
            "premium_rate": policy.premium_rate,
            "premium": premium,
            "declared_on": declared_on,
        },
    )
    return declaration
