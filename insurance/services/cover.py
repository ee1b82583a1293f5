"""An invoice's cover, decided when it is issued (DESIGN: "Coverage ... is decided when it
is issued and stored with the reason")."""

from insurance.models import Cover
from insurance.selectors.covers import cover_decision


def cover_decide(*, invoice):
    """Decides and stores the invoice's cover under the policy in force on its issue date."""
    cover = cover_decision(invoice, invoice.issue_date)
    return Cover.objects.create(
        tenant=invoice.tenant,
        invoice=invoice,
        policy=cover.policy,
        reason=cover.decision.reason,
        basis_amount=cover.basis,
        covered_amount=cover.decision.covered_amount,
        uncovered_amount=cover.decision.uncovered_amount,
        limit_amount=cover.limit,
        exposure_before=cover.exposure_before,
        decided_on=invoice.issue_date,
    )


def on_invoice_issued(sender, invoice, **kwargs):
    if invoice.kind == invoice.Kind.INVOICE:
        cover_decide(invoice=invoice)
