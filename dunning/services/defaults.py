"""A company's dunning starting point: the default policy and the known reference rates."""

from dunning.defaults import DEFAULT_POLICY_NAME, DEFAULT_STEPS, known_rates
from dunning.models import Policy, RateSemester, Step


def tenant_defaults_ensure(tenant):
    """Creates the default policy once per company, and the known reference rates."""
    if not Policy.objects.filter(is_default=True).exists():
        policy = Policy.objects.create(tenant=tenant, name=DEFAULT_POLICY_NAME, is_default=True)
        Step.objects.bulk_create(
            Step(tenant=tenant, policy=policy, position=position, **fields)
            for position, fields in enumerate(DEFAULT_STEPS, start=1)
        )
    rates_known_ensure(tenant)


def rates_known_ensure(tenant):
    """Adds the half-years the platform knows and the company's table does not have yet
    (a new company, or a half-year published since). What the admin entered is kept."""
    present = set(RateSemester.objects.values_list("year", "half"))
    RateSemester.objects.bulk_create(
        [
            RateSemester(tenant=tenant, **rates)
            for rates in known_rates()
            if (rates["year"], rates["half"]) not in present
        ],
        ignore_conflicts=True,
    )
