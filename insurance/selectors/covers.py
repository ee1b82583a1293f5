"""Reads of covers: a policy's terms as the rules take them, the covered part of what is
still unpaid on an invoice, and the covers of the invoices past due and unpaid, those the
daily batch declares and claims."""

from einvoicing import selectors as einvoicing
from insurance import rules
from insurance.models import Cover
from invoices import amounts
from portage.money import ZERO, to_cents


def terms_of(policy):
    return rules.Terms(
        covered_share=policy.covered_share,
        deductible_per_claim=policy.deductible_per_claim,
        annual_aggregate_deductible=policy.annual_aggregate_deductible,
        claim_threshold=policy.claim_threshold,
        annual_max_indemnity=policy.annual_max_indemnity,
        covers_vat=policy.covers_vat,
        discretionary_limit=policy.discretionary_limit,
        max_credit_days=policy.max_credit_days,
        excluded_categories=frozenset(policy.excluded_categories),
        excluded_countries=frozenset(policy.excluded_countries),
    )


def unpaid_covered(invoice, cover):
    """The covered part of what is still unpaid: the cover's share of the invoice, applied
    to its balance (so a partial payment reduces it in proportion)."""
    if cover is None or cover.covered_amount <= 0 or invoice.total_ttc <= 0:
        return ZERO
    share = invoice.balance * cover.covered_amount / invoice.total_ttc
    return to_cents(share)


def covered_open_covers(today):
    """Covers of covered invoices still unpaid and past due, with their invoice and policy.
    An invoice the e-invoicing platform has not deposited, or rejected, was never legally
    issued: it is neither declared nor claimed."""
    return (
        Cover.objects.filter(
            amounts.is_open("invoice__"),
            covered_amount__gt=0,
            invoice__due_date__lt=today,
        )
        .exclude(einvoicing.not_issued_q("invoice__"))
        .select_related("invoice__client", "policy")
        .order_by("invoice__client_id", "invoice__due_date", "invoice_id")
    )
