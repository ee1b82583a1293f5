"""What follows the batch: overdue declarations marked as sent, a claim's life with the
insurer (filed, acknowledged, indemnified or rejected, closed) and the indemnity credited to
the consultants' activity accounts. What a claim's indemnity gives each invoice, the
subrogation share of a payment, the documents of the manual connector and the claims page
are read in `insurance.selectors.claims`.

A claim (sinistre) moves one way:

    to file → filed → acknowledged → indemnified | partially indemnified | rejected → closed

(an insurer may answer without acknowledging first; a claim may be closed at any point,
for example when the client pays before it is filed).
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from consultants.models import LedgerEntry
from consultants.services import ledger_post
from insurance.models import Claim, Declaration
from insurance.selectors.claims import claim_reference, indemnity_credits
from insurance.signals import claim_filed, claim_indemnified
from portage.money import to_cents
from portage.services import audit_record

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
        raise ValidationError(message % {"state": claim.get_state_display()}, code="state")


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
        raise ValidationError(
            _("The indemnity of this claim has already been recorded."), code="state"
        )
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
