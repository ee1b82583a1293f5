"""What follows the batch: overdue declarations marked as sent, a claim's life with the
insurer (filed, acknowledged, indemnified or rejected, closed), the indemnity credited to
the consultants' activity accounts, the subrogation share of a later payment, and the
documents of the manual connector.

A claim (sinistre) moves one way:

    to file → filed → acknowledged → indemnified | partially indemnified | rejected → closed

(an insurer may answer without acknowledging first; a claim may be closed at any point,
for example when the client pays before it is filed).
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from consultants.models import LedgerEntry
from consultants.services import ledger_post
from insurance import rules
from insurance.connectors.base import ClaimFiling, OverdueNotice
from insurance.connectors.manual import documents_csv, documents_pdf
from insurance.models import Claim, ClaimInvoice, Declaration, Subrogation
from insurance.signals import claim_filed, claim_indemnified
from invoices.services.payments import split_over_invoices
from portage.models import PayModel
from portage.money import ZERO, to_cents
from portage.services import audit_record

HUNDRED = Decimal(100)
REFERENCE_MAX = 60

State = Claim.State

# The states a claim may move to from each state.
NEXT_STATES = {
    State.TO_FILE: {State.FILED, State.CLOSED},
    State.FILED: {
        State.ACKNOWLEDGED,
        State.INDEMNIFIED,
        State.PARTIAL,
        State.REJECTED,
        State.CLOSED,
    },
    State.ACKNOWLEDGED: {State.INDEMNIFIED, State.PARTIAL, State.REJECTED, State.CLOSED},
    State.INDEMNIFIED: {State.CLOSED},
    State.PARTIAL: {State.CLOSED},
    State.REJECTED: {State.CLOSED},
    State.CLOSED: set(),
}


def next_states(state):
    return NEXT_STATES[State(state)]


def _clean_reference(reference):
    reference = " ".join((reference or "").split())
    if len(reference) > REFERENCE_MAX:
        raise ValidationError(
            {
                "insurer_reference": _("The insurer's reference has %(max)s characters at most.")
                % {"max": REFERENCE_MAX}
            }
        )
    return reference


def _check_day(errors, field, day, *, not_before, before_message, today):
    if day is None:
        errors[field] = _("Give the date.")
    elif not_before is not None and day < not_before:
        errors[field] = before_message
    elif today is not None and day > today:
        errors[field] = _("This date is in the future.")


def _locked(claim):
    return Claim.objects.select_for_update().select_related("policy").get(pk=claim.pk)


def _refuse_unless(claim, target, message):
    if target not in next_states(claim.state):
        raise ValidationError(message % {"state": claim.get_state_display()})


# Overdue declarations

DECLARATION_MAY_BE_SENT = (Declaration.Status.TO_SEND, Declaration.Status.FAILED)


@transaction.atomic
def declaration_mark_sent(
    *, declaration, actor, declared_on, insurer_reference="", today=None, actor_label=None
):
    """Records that the overdue was declared to the insurer (déclaration de menace de
    sinistre), on its portal by a user or through its API (`actor` None, `actor_label`
    saying which), with the reference the insurer gave. Only a declaration waiting to be
    sent can be, or one the insurer's API refused (the collector then declares on the
    portal); one the batch found past its deadline stays late (the cover is lost, the
    insurer decides)."""
    declaration = Declaration.objects.select_for_update().get(pk=declaration.pk)
    before = declaration.get_status_display()
    if declaration.status not in DECLARATION_MAY_BE_SENT:
        raise ValidationError(
            _(
                "Only a declaration waiting to be sent can be marked as declared; "
                "this one is: %(status)s."
            )
            % {"status": declaration.get_status_display()}
        )
    errors = {}
    try:
        insurer_reference = _clean_reference(insurer_reference)
    except ValidationError as error:
        errors.update(error.error_dict)
    _check_day(
        errors,
        "declared_on",
        declared_on,
        not_before=declaration.invoice.due_date,
        before_message=_("An overdue cannot be declared before the invoice's due date."),
        today=today,
    )
    if errors:
        raise ValidationError(errors)
    declaration.status = Declaration.Status.SENT
    declaration.declared_on = declared_on
    declaration.insurer_reference = insurer_reference
    declaration.detail = ""
    declaration.save(update_fields=["status", "declared_on", "insurer_reference", "detail"])
    audit_record(
        tenant=declaration.tenant,
        actor=actor,
        actor_label=actor_label,
        action="insurance.declaration_sent",
        obj=declaration,
        before={"status": before},
        after={
            "status": Declaration.Status.SENT.label,
            "declared_on": declared_on.isoformat(),
            "insurer_reference": insurer_reference,
        },
    )
    return declaration


@transaction.atomic
def declaration_mark_failed(*, declaration, detail):
    """Records that the insurer's API refused the declaration, or stayed unreachable to the
    last try, with what it said: the collector sees it and declares on the portal."""
    declaration = Declaration.objects.select_for_update().get(pk=declaration.pk)
    if declaration.status != Declaration.Status.TO_SEND:
        return declaration
    declaration.status = Declaration.Status.FAILED
    declaration.detail = detail[:300]
    declaration.save(update_fields=["status", "detail"])
    return declaration


# Claims


@transaction.atomic
def claim_file(*, claim, actor, filed_on, insurer_reference="", today=None, actor_label=None):
    """Records that the claim was filed with the insurer (déclaration de sinistre), on its
    portal by a user or through its API (`actor` None, `actor_label` saying which). A
    refusal the API gave to an earlier try no longer stands once the claim is filed."""
    claim = _locked(claim)
    _refuse_unless(
        claim, State.FILED, _("Only a claim to file can be filed; this one is: %(state)s.")
    )
    errors = {}
    try:
        insurer_reference = _clean_reference(insurer_reference)
    except ValidationError as error:
        errors.update(error.error_dict)
    _check_day(
        errors,
        "filed_on",
        filed_on,
        not_before=claim.opened_on,
        before_message=_("A claim cannot be filed before it was opened."),
        today=today,
    )
    if errors:
        raise ValidationError(errors)
    before = claim.state
    claim.state = State.FILED
    claim.filed_on = filed_on
    claim.insurer_reference = insurer_reference
    claim.rejection_reason = ""
    claim.save(update_fields=["state", "filed_on", "insurer_reference", "rejection_reason"])
    claim_filed.send(sender=Claim, claim=claim)
    _audit(
        claim,
        actor,
        "insurance.claim_filed",
        before,
        actor_label=actor_label,
        filed_on=filed_on.isoformat(),
        insurer_reference=insurer_reference,
    )
    return claim


@transaction.atomic
def claim_note_refusal(*, claim, reason):
    """Notes on a claim still to file that the insurer's API refused to file it, and why;
    the claim stays to file (the collector files it on the portal, or a later try does)."""
    claim = _locked(claim)
    if claim.state != State.TO_FILE:
        return claim
    claim.rejection_reason = reason[:300]
    claim.save(update_fields=["rejection_reason"])
    return claim


@transaction.atomic
def claim_acknowledge(*, claim, actor, insurer_reference=""):
    """Records that the insurer acknowledged the claim, with its reference if it gave one."""
    claim = _locked(claim)
    _refuse_unless(
        claim,
        State.ACKNOWLEDGED,
        _("Only a filed claim can be acknowledged; this one is: %(state)s."),
    )
    insurer_reference = _clean_reference(insurer_reference) or claim.insurer_reference
    before = claim.state
    claim.state = State.ACKNOWLEDGED
    claim.insurer_reference = insurer_reference
    claim.save(update_fields=["state", "insurer_reference"])
    _audit(
        claim, actor, "insurance.claim_acknowledged", before, insurer_reference=insurer_reference
    )
    return claim


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


@transaction.atomic
def claim_indemnify(*, claim, actor, amount, paid_on, today=None):
    """Records the indemnity the insurer paid, once: the claim is indemnified when it is at
    least the expected indemnity, partially indemnified under it. The day it was paid is
    the date of loss from which a client's payment is shared with the insurer (Code des
    assurances L121-12, see `subrogation_split`). Each consultant's activity account is
    credited with their invoices' share, net of the management fee (`indemnity_credits`),
    as an "Insurer's indemnity" entry naming the invoice."""
    claim = _locked(claim)
    if claim.indemnity_amount is not None:
        raise ValidationError(_("The indemnity of this claim has already been recorded."))
    _refuse_unless(
        claim,
        State.INDEMNIFIED,
        _("Only a filed or acknowledged claim can be indemnified; this one is: %(state)s."),
    )
    errors = {}
    if amount is None or to_cents(amount) <= 0:
        errors["amount"] = _(
            "Give the amount the insurer paid; a claim the insurer will not pay is rejected."
        )
    elif to_cents(amount) > claim.unpaid_covered:
        errors["amount"] = _(
            "The insurer never pays more than the unpaid covered amount (%(covered)s)."
        ) % {"covered": claim.unpaid_covered}
    _check_day(
        errors,
        "paid_on",
        paid_on,
        not_before=claim.filed_on,
        before_message=_("The indemnity cannot be paid before the claim was filed."),
        today=today,
    )
    if errors:
        raise ValidationError(errors)
    amount = to_cents(amount)
    before = claim.state
    claim.state = State.INDEMNIFIED if amount >= claim.expected_indemnity else State.PARTIAL
    claim.indemnity_amount = amount
    claim.indemnified_on = paid_on
    claim.save(update_fields=["state", "indemnity_amount", "indemnified_on"])
    claim_indemnified.send(sender=Claim, claim=claim)
    reference = claim_reference(claim)
    for credit in indemnity_credits(claim, amount):
        if credit.posted:
            ledger_post(
                consultant=credit.line.invoice.consultant,
                kind=LedgerEntry.Kind.INDEMNITY_RECEIVED,
                amount=credit.net,
                booked_on=paid_on,
                # The invoice number and the claim, not a sentence: entries are read in
                # each reader's language.
                label=f"{credit.line.invoice.number} · {reference}",
                invoice=credit.line.invoice,
                by=actor,
            )
    _audit(
        claim,
        actor,
        "insurance.claim_indemnified",
        before,
        indemnity_amount=str(amount),
        expected_indemnity=str(claim.expected_indemnity),
        indemnified_on=paid_on.isoformat(),
    )
    return claim


@transaction.atomic
def claim_reject(*, claim, actor, reason):
    """Records the insurer's refusal to pay, with its reason."""
    claim = _locked(claim)
    _refuse_unless(
        claim,
        State.REJECTED,
        _("Only a filed or acknowledged claim can be rejected; this one is: %(state)s."),
    )
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": _("Give the reason the insurer gave.")})
    if len(reason) > 300:
        raise ValidationError({"reason": _("The reason has 300 characters at most.")})
    before = claim.state
    claim.state = State.REJECTED
    claim.rejection_reason = reason
    claim.save(update_fields=["state", "rejection_reason"])
    _audit(claim, actor, "insurance.claim_rejected", before, rejection_reason=reason)
    return claim


@transaction.atomic
def claim_close(*, claim, actor):
    """Closes the claim: nothing more is expected from the insurer. A claim waiting for the
    insurer's answer can be closed too (the client paid, the claim was withdrawn)."""
    claim = _locked(claim)
    _refuse_unless(claim, State.CLOSED, _("This claim is already closed."))
    before = claim.state
    claim.state = State.CLOSED
    claim.save(update_fields=["state"])
    _audit(claim, actor, "insurance.claim_closed", before)
    return claim


def _audit(claim, actor, action, before_state, *, actor_label=None, **after):
    audit_record(
        tenant=claim.tenant,
        actor=actor,
        actor_label=actor_label,
        action=action,
        obj=claim,
        before={"state": State(before_state).label},
        after={"state": claim.get_state_display(), **after},
    )


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
