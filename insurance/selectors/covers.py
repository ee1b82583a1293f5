"""Reads of covers: a policy's terms as the rules take them, the covered part of what is
still unpaid on an invoice, the covers of the invoices past due and unpaid, those the daily
batch declares and claims, and what an invoice about to be issued will not have covered."""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from einvoicing import selectors as einvoicing
from insurance import rules
from insurance.models import Cover
from insurance.selectors import exposure, limit_in_force, policy_in_force
from invoices import amounts
from invoices.terms import due_date
from portage.money import ZERO, to_cents
from portage.templatetags.portage import euros


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


@dataclass(frozen=True)
class CoverDecision:
    """The cover an invoice gets under the policy in force on the day it is issued, with the
    figures it was decided on (stored with the cover)."""

    policy: object  # InsurancePolicy, or None when no policy is in force
    basis: Decimal
    exposure_before: Decimal
    limit: Decimal | None
    decision: rules.Cover


def cover_decision(invoice, day):
    """The cover `invoice` gets if issued on `day`: the one place the stored cover
    (`cover_decide`) and the warning before issue (`issue_warnings`) decide it, on the
    invoice's credit period from `day` to its due date under its payment terms."""
    policy = policy_in_force(day)
    covers_vat = policy.covers_vat if policy else True
    basis = invoice.total_ttc if covers_vat else invoice.total_ht
    before = exposure(invoice.client, covers_vat=covers_vat, exclude=invoice)
    limit = limit_in_force(invoice.client, day, policy) if policy else None
    due = invoice.due_date or due_date(
        issued_on=day, terms=invoice.payment_terms, days=invoice.payment_days
    )
    decision = rules.decide_cover(
        terms=terms_of(policy) if policy else None,
        has_policy=policy is not None,
        client_category=invoice.client.category,
        client_country=invoice.client.country,
        credit_days=(due - day).days,
        invoice_amount=basis,
        exposure_before=before,
        limit=limit,
    )
    return CoverDecision(
        policy=policy, basis=basis, exposure_before=before, limit=limit, decision=decision
    )


def issue_warnings(invoice, day):
    """What the user should know before issuing: the part of the invoice credit insurance
    will not cover, and why (the cover itself is decided and stored at issue)."""
    if invoice.kind != invoice.Kind.INVOICE or policy_in_force(day) is None:
        return []
    cover = cover_decision(invoice, day)
    if cover.decision.uncovered_amount <= 0:
        return []
    return [
        _(
            "Credit insurance: %(uncovered)s of this invoice will not be covered (%(reason)s). "
            "Limit in force: %(limit)s."
        )
        % {
            "uncovered": euros(cover.decision.uncovered_amount),
            "reason": Cover.Reason(cover.decision.reason).label,
            "limit": euros(cover.limit) if cover.limit is not None else _("none"),
        }
    ]
