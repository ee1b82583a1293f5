"""Reads of claims: what a claim's indemnity gives each of its invoices and their
consultants, what the insurer recovered of the client's payments since (subrogation, Code
des assurances L121-12) and how a payment would be shared, the filings the connectors send
and the documents of the manual connector, and the claims page grouped by state."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, Sum
from django.db.models.functions import Coalesce

from consultants.models import LedgerEntry
from insurance import rules
from insurance.connectors.base import ClaimFiling, OverdueNotice
from insurance.connectors.manual import documents_csv, documents_pdf
from insurance.models import Claim, ClaimInvoice, Subrogation
from invoices.services.payments import split_over_invoices
from portage.models import PayModel
from portage.money import ZERO, to_cents

HUNDRED = Decimal(100)

State = Claim.State


# Indemnity


@dataclass(frozen=True)
class IndemnityCredit:
    """One invoice's part of an indemnity, and what the consultant's account gets from it."""

    line: ClaimInvoice
    part: Decimal
    excl_vat: Decimal
    fee: Decimal
    net: Decimal
    posted: bool


def _ordered_lines(claim):
    """The claim's invoices in the order an indemnity is spread over them: oldest due first."""
    return list(
        claim.lines.select_related("invoice__consultant").order_by(
            "invoice__due_date", "invoice_id"
        )
    )


def indemnity_parts(lines, amount):
    """The indemnity spread over the claim's invoices in proportion to their covered
    amounts, to the cent: the last line takes the rounding remainder, so the parts add up
    to the indemnity exactly. `lines` in the order to spread them."""
    total = sum((line.covered_amount for line in lines), ZERO)
    parts = []
    left = to_cents(amount)
    for index, line in enumerate(lines):
        if index == len(lines) - 1:
            part = left
        else:
            part = to_cents(amount * line.covered_amount / total) if total > 0 else ZERO
            left -= part
        parts.append((line, part))
    return parts


def indemnity_credits(claim, amount):
    """What each invoice's part of the indemnity gives its consultant: the part is what the
    insurer pays in place of the client, so it is treated as that much collected on the
    invoice (as invoices.services.payments does): excl. VAT when the cover includes VAT
    (part × total excl. VAT / total incl. VAT), less the management fee at the rate frozen
    on the invoice. Only an invoice under the pay model "on collection" credits the
    consultant: "on invoicing", the consultant was paid at issue and the company bears the
    risk, so the indemnity is the company's."""
    lines = _ordered_lines(claim)
    credits = []
    for line, part in indemnity_parts(lines, amount):
        invoice = line.invoice
        excl_vat, fee, net = consultant_net(invoice, part, covers_vat=claim.policy.covers_vat)
        credits.append(
            IndemnityCredit(
                line=line,
                part=part,
                excl_vat=excl_vat,
                fee=fee,
                net=net,
                posted=invoice.pay_model == PayModel.ON_COLLECTION,
            )
        )
    return credits


def consultant_net(invoice, amount, *, covers_vat):
    """(excl. VAT, fee, net) of an amount of the claim's indemnity on `invoice`: what it
    credits the consultant with, and what a recovery that goes back to the insurer takes
    back. The consultant's share of an amount paid on the invoice (`Invoice.share_of`: excl.
    VAT after its credit notes, less the fee at the rate frozen on it), the amount being
    incl. VAT when the cover includes VAT."""
    share = invoice.share_of(amount, incl_vat=covers_vat)
    return share.excl_vat, share.fee, share.net


# Subrogation


@dataclass(frozen=True)
class SubrogationRow:
    """One invoice's part of a payment (`invoice` None: more than the balances, a credit
    left to the client). `vat` is the VAT part of `to_company` + `to_insurer`."""

    invoice: object
    to_company: Decimal
    to_insurer: Decimal
    vat: Decimal


@dataclass(frozen=True)
class SubrogationSplit:
    amount: Decimal
    received_on: date
    loss_date: date | None
    rows: list

    @property
    def shared(self):
        return self.loss_date is not None and self.received_on >= self.loss_date

    @property
    def to_insurer(self):
        return sum((row.to_insurer for row in self.rows), ZERO)

    @property
    def to_company(self):
        return sum((row.to_company for row in self.rows), ZERO)

    @property
    def vat(self):
        return sum((row.vat for row in self.rows), ZERO)


def indemnified_invoices(claim):
    """Each invoice of an indemnified claim as the subrogation rule takes it
    (`rules.IndemnifiedInvoice`), by invoice pk: its totals, what was unpaid when it was
    claimed, its part of the indemnity (spread as the consultants were credited, see
    `indemnity_parts`), and what was recovered on it since the indemnity and shared.
    Empty for a claim the insurer has not paid."""
    if not claim.indemnity_amount or claim.indemnified_on is None:
        return {}
    lines = _ordered_lines(claim)
    shared = {
        row["invoice_id"]: row
        for row in Subrogation.objects.filter(claim=claim, undone=False)
        .values("invoice_id")
        .annotate(recovered=Sum("amount"), to_insurer=Sum("to_insurer"))
    }
    invoices = {}
    for line, part in indemnity_parts(lines, claim.indemnity_amount):
        history = shared.get(line.invoice_id, {})
        invoices[line.invoice_id] = rules.IndemnifiedInvoice(
            excl_vat=line.invoice.total_ht,
            incl_vat=line.invoice.total_ttc,
            covers_vat=claim.policy.covers_vat,
            claimed=line.unpaid_amount,
            indemnity=part,
            loss_date=claim.indemnified_on,
            recovered=history.get("recovered") or ZERO,
            to_insurer=history.get("to_insurer") or ZERO,
        )
    return invoices


def insurer_recovered(claim):
    """What the insurer has received of the client's payments on the claim's invoices."""
    return Subrogation.objects.filter(claim=claim, undone=False).aggregate(
        total=Coalesce(Sum("to_insurer"), ZERO)
    )["total"]


def insurer_share_percent(claim):
    """The share of the claim's loss the insurer bore, in percent: its indemnity / what was
    unpaid on its invoices when claimed, both on the basis the indemnity was computed on
    (excl. VAT unless the policy covers VAT); 0 before any indemnity. What the claim page
    tells; each invoice's share is computed by `rules.share_recovery`."""
    invoices = indemnified_invoices(claim)
    if not invoices:
        return ZERO
    loss = ZERO
    for invoice in invoices.values():
        if invoice.covers_vat or invoice.incl_vat <= 0:
            loss += invoice.claimed
        else:
            loss += to_cents(invoice.claimed * invoice.excl_vat / invoice.incl_vat)
    return min(HUNDRED, claim.indemnity_amount * HUNDRED / loss) if loss > 0 else ZERO


def subrogation_split(*, claim, amount, received_on):
    """How a client's payment on the claim's invoices would be shared (reads only).

    The payment settles the claim's invoices oldest due first, as a payment is allocated
    (`invoices.services.payments.split_over_invoices`); each invoice's part goes to the
    insurer as `rules.share_recovery` says (Code des assurances L121-12: after the
    indemnity, on its basis, never beyond it), the rest to the company. What exceeds the
    balances is a credit left to the client, all the company's."""
    invoices = {line.invoice.pk: line.invoice for line in _ordered_lines(claim)}
    indemnified = indemnified_invoices(claim)
    rows = []
    for invoice, part in split_over_invoices(to_cents(amount), list(invoices.values())):
        if invoice.pk in indemnified:
            share = rules.share_recovery(
                invoice=indemnified[invoice.pk], amount=part, received_on=received_on
            )
            rows.append(SubrogationRow(invoice, share.to_company, share.to_insurer, share.vat))
        else:
            rows.append(SubrogationRow(invoice, to_cents(part), ZERO, ZERO))
    left = to_cents(amount) - sum((row.to_company + row.to_insurer for row in rows), ZERO)
    if left > 0:
        rows.append(SubrogationRow(None, left, ZERO, ZERO))
    return SubrogationSplit(
        amount=to_cents(amount),
        received_on=received_on,
        loss_date=claim.indemnified_on,
        rows=rows,
    )


# Documents of the manual connector


def claim_reference(claim):
    return f"CLM-{claim.pk}"


def declaration_reference(declaration):
    return f"OVD-{declaration.pk}"


def _pdf_heading(tenant, policy):
    return {
        "company_name": tenant.legal_name,
        "insurer_name": policy.insurer.name,
        "policy_number": policy.number,
    }


def claim_filing(claim, *, today=None):
    """The claim as the connectors take it: the invoices with what was unpaid when the
    claim was opened, declared on the day it was filed, or `today` for a claim still to
    file."""
    lines = list(claim.lines.select_related("invoice").order_by("invoice__due_date", "invoice_id"))
    return ClaimFiling(
        reference=claim_reference(claim),
        client_siren=claim.client.siren,
        client_name=claim.client.legal_name,
        invoices=tuple(
            (
                line.invoice.number,
                line.invoice.issue_date,
                line.invoice.due_date,
                line.unpaid_amount,
            )
            for line in lines
        ),
        total=sum((line.unpaid_amount for line in lines), ZERO),
        declared_on=claim.filed_on or today or claim.opened_on,
    )


def claim_csv(claim, *, today=None):
    return documents_csv(claim_filing(claim, today=today))


def claim_pdf(claim, *, today=None):
    return documents_pdf(
        claim_filing(claim, today=today), **_pdf_heading(claim.tenant, claim.policy)
    )


def claim_documents(claim, *, today=None):
    """The claim file for the insurer's portal (manual connector): (CSV bytes, PDF bytes)."""
    return claim_csv(claim, today=today), claim_pdf(claim, today=today)


def overdue_notice(declaration):
    """The overdue declaration as the connectors take it."""
    invoice = declaration.invoice
    return OverdueNotice(
        reference=declaration_reference(declaration),
        client_siren=invoice.client.siren,
        client_name=invoice.client.legal_name,
        invoices=((invoice.number, invoice.due_date, declaration.unpaid_amount),),
        total=declaration.unpaid_amount,
    )


def declaration_csv(declaration):
    return documents_csv(overdue_notice(declaration))


def declaration_pdf(declaration):
    return documents_pdf(
        overdue_notice(declaration), **_pdf_heading(declaration.tenant, declaration.policy)
    )


def declaration_documents(declaration):
    """The overdue declaration for the insurer's portal (manual connector): (CSV bytes,
    PDF bytes)."""
    return declaration_csv(declaration), declaration_pdf(declaration)


# Reads for the pages


BOARD_GROUPS = (
    ("to_file", (State.TO_FILE,)),
    ("filed", (State.FILED,)),
    ("acknowledged", (State.ACKNOWLEDGED,)),
    ("indemnified", (State.INDEMNIFIED, State.PARTIAL)),
    ("rejected", (State.REJECTED,)),
    ("closed", (State.CLOSED,)),
)


def claim_board():
    """The claims grouped by state, each group with its claims (client, policy, number of
    invoices) and its totals: unpaid covered, expected and received indemnities."""
    groups = []
    for key, states in BOARD_GROUPS:
        totals = Claim.objects.filter(state__in=states).aggregate(
            count=Count("pk"),
            unpaid_covered=Coalesce(Sum("unpaid_covered"), ZERO),
            expected=Coalesce(Sum("expected_indemnity"), ZERO),
            received=Coalesce(Sum("indemnity_amount"), ZERO),
        )
        claims = (
            Claim.objects.filter(state__in=states)
            .select_related("client", "policy__insurer")
            .annotate(invoice_count=Count("lines"))
            .order_by("-opened_on", "-id")
        )
        groups.append({"key": key, "states": states, "claims": claims, "totals": totals})
    return groups


def credited_indemnities(claim):
    """The "Insurer's indemnity" entries of the claim's invoices, per invoice pk."""
    totals = (
        LedgerEntry.objects.filter(
            kind=LedgerEntry.Kind.INDEMNITY_RECEIVED,
            invoice_pk__in=claim.lines.values("invoice_id"),
        )
        .values("invoice_pk")
        .annotate(total=Sum("amount"))
    )
    return {row["invoice_pk"]: row["total"] for row in totals}
