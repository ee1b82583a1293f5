"""Credit insurance objects of one company, for the API's cross-company walk
(tests/portage/test_api.py) and the API tests: a policy, a client's limit granted, and a
claim the batch opened for its covered invoice still unpaid after the waiting period."""

from datetime import date
from decimal import Decimal

from insurance.models import Claim, CreditLimit, InsurancePolicy, Insurer
from insurance.services.batch import run_insurance
from insurance.services.limits import limit_decide
from portage.tenancy import tenant_context
from tests.factories import make_client, make_invoice

ISSUED = date(2026, 3, 2)  # due 1 April 2026
CLAIM_DAY = date(2026, 8, 29)  # the due date + the 150 days of waiting


def insured_claim(tenant):
    """One invoice of 6 000 HT / 7 200 TTC, covered by a 50 000 limit, unpaid after the
    waiting period: the claim expects min(6 000, 50 000) × 90 % − 500 = 4 900."""
    with tenant_context(tenant):
        insurer = Insurer.objects.create(tenant=tenant, name="Assureur Test")
        policy = InsurancePolicy.objects.create(
            tenant=tenant,
            insurer=insurer,
            number="POL-1",
            starts_on=date(2026, 1, 1),
            ends_on=date(2026, 12, 31),
            covered_share=Decimal("90"),
            deductible_per_claim=Decimal("500.00"),
            waiting_days=150,
        )
    client = make_client(tenant)
    with tenant_context(tenant):
        limit = limit_decide(
            tenant=tenant,
            client=client,
            policy=policy,
            actor=None,
            status=CreditLimit.Status.GRANTED,
            amount=Decimal("50000.00"),
            decided_on=date(2026, 1, 1),
        )
    invoice = make_invoice(tenant, client=client, issued_on=ISSUED)
    with tenant_context(tenant):
        run_insurance(tenant=tenant, today=CLAIM_DAY)
        claim = Claim.objects.get(client=client)
    return limit, claim, invoice


def build(tenant):
    limit, claim, _invoice = insured_claim(tenant)
    return {"insurance-policy": limit.policy_id, "credit-limit": limit.pk, "claim": claim.pk}
