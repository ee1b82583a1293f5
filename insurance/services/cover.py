"""An invoice's cover, decided when it is issued (DESIGN: "Coverage ... is decided when it
is issued and stored with the reason")."""

from insurance import rules
from insurance.models import Cover
from insurance.selectors import exposure, limit_in_force, policy_in_force
from insurance.selectors.covers import terms_of


def cover_decide(*, invoice):
    """Decides and stores the invoice's cover under the policy in force on its issue date."""
    policy = policy_in_force(invoice.issue_date)
    covers_vat = policy.covers_vat if policy else True
    basis = invoice.total_ttc if covers_vat else invoice.total_ht
    before = exposure(invoice.client, covers_vat=covers_vat, exclude=invoice)
    limit = limit_in_force(invoice.client, invoice.issue_date, policy) if policy else None
    decision = rules.decide_cover(
        terms=terms_of(policy) if policy else None,
        has_policy=policy is not None,
        client_category=invoice.client.category,
        client_country=invoice.client.country,
        credit_days=(invoice.due_date - invoice.issue_date).days,
        invoice_amount=basis,
        exposure_before=before,
        limit=limit,
    )
    return Cover.objects.create(
        tenant=invoice.tenant,
        invoice=invoice,
        policy=policy,
        reason=decision.reason,
        basis_amount=basis,
        covered_amount=decision.covered_amount,
        uncovered_amount=decision.uncovered_amount,
        limit_amount=limit,
        exposure_before=before,
        decided_on=invoice.issue_date,
    )


def on_invoice_issued(sender, invoice, **kwargs):
    if invoice.kind == invoice.Kind.INVOICE:
        cover_decide(invoice=invoice)
