"""A company's dunning starting point: the default policy and the known reference rates."""

from dunning.defaults import DEFAULT_STEPS, known_rates
from dunning.models import Policy, RateSemester, Step


def tenant_defaults_ensure(tenant):
    """Creates the default policy and seeds the rate table, once per company."""
    if not Policy.objects.filter(is_default=True).exists():
        policy = Policy.objects.create(tenant=tenant, name="Standard", is_default=True)
        Step.objects.bulk_create(
            Step(tenant=tenant, policy=policy, position=position, **fields)
            for position, fields in enumerate(DEFAULT_STEPS, start=1)
        )
    if not RateSemester.objects.exists():
        RateSemester.objects.bulk_create(
            RateSemester(tenant=tenant, **rates) for rates in known_rates()
        )
