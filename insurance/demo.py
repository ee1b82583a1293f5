"""Demo credit insurance (see `seed_demo`): a policy per company, credit limits granted,
partly granted and refused, and the demo invoices' cover as if the policy had been in
force when they were issued. The daily batches replayed over the past days then leave
declarations and claims in several states."""

from datetime import timedelta
from decimal import Decimal

from insurance.models import Cover, CreditLimit, InsurancePolicy, Insurer
from insurance.services.cover import cover_decide
from invoices.models import Client, Invoice
from portage.tenancy import tenant_context

D = Decimal

# (client position in the billing demo, decision, amount asked, amount granted, grade)
LIMITS = [
    (0, CreditLimit.Status.GRANTED, "60000", "60000", "3"),
    (2, CreditLimit.Status.PARTIAL, "40000", "15000", "6"),
    (3, CreditLimit.Status.GRANTED, "30000", "30000", "4"),
    (4, CreditLimit.Status.REFUSED, "20000", "0", "9"),
]


def seed(*, tenant, today):
    """Once per company: the insurer, the policy, the limits, and the invoices' covers."""
    with tenant_context(tenant):
        if InsurancePolicy.objects.exists():
            return False
        insurer = Insurer.objects.create(
            tenant=tenant,
            name="Allianz Trade (démo)",
            contact_name="Service indemnisation",
            contact_email="indemnisation@assureur.example",
        )
        start = today - timedelta(days=300)
        policy = InsurancePolicy.objects.create(
            tenant=tenant,
            insurer=insurer,
            number=f"AT-{tenant.pk:03d}-2026",
            starts_on=start,
            ends_on=start + timedelta(days=364),
            premium_rate=D("0.250"),
            deposit=D("1500.00"),
            minimum_premium=D("1200.00"),
            covered_share=D("90"),
            deductible_per_claim=D("500.00"),
            # About 25 times the year's premium, as global policies set it.
            annual_max_indemnity=D("30000.00"),
            waiting_days=90,
            declaration_days=30,
            max_credit_days=60,
            discretionary_limit=D("10000.00"),
        )
        clients = list(Client.objects.order_by("siren"))
        for position, status, asked, granted, grade in LIMITS:
            if position >= len(clients):
                continue
            CreditLimit.objects.create(
                tenant=tenant,
                client=clients[position],
                policy=policy,
                status=status,
                requested_amount=D(asked),
                amount=D(granted),
                grade=grade,
                grade_scale=CreditLimit.Scale.ALLIANZ,
                decided_on=start,
                effective_from=start,
                insurer_reference=f"AGR-{clients[position].siren}",
            )
        # The demo's invoices were issued before this policy was entered: decide their
        # cover again, in the order they were issued, as the policy would have.
        Cover.objects.all().delete()
        for invoice in (
            Invoice.objects.filter(kind=Invoice.Kind.INVOICE)
            .exclude(status=Invoice.Status.DRAFT)
            .select_related("client")
            .order_by("issue_date", "number")
        ):
            cover_decide(invoice=invoice)
    return True


def claims_in_several_states(*, tenant, today):
    """After the replay: the oldest claim filed and indemnified in full (the insurer paid
    a week ago), the next one filed and acknowledged, the others left to file."""
    from insurance.models import Claim
    from insurance.services.claims import claim_acknowledge, claim_file, claim_indemnify

    with tenant_context(tenant):
        claims = list(Claim.objects.filter(state=Claim.State.TO_FILE).order_by("opened_on"))
        for position, claim in enumerate(claims[:2]):
            filed_on = min(claim.opened_on + timedelta(days=2), today)
            claim = claim_file(
                claim=claim, actor=None, filed_on=filed_on, insurer_reference=f"SIN-{claim.pk:05d}"
            )
            if position == 0:
                paid_on = min(filed_on + timedelta(days=30), today)
                claim_indemnify(
                    claim=claim, actor=None, amount=claim.expected_indemnity, paid_on=paid_on
                )
            else:
                claim_acknowledge(claim=claim, actor=None)
