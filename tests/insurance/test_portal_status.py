"""What the consultant's portal says of the credit insurer on an invoice."""

from datetime import date

from django.utils import translation

from insurance.models import Claim, Declaration
from insurance.portal import insurance_status

TODAY = date(2026, 12, 8)


def status(claim=None, declaration=None, today=TODAY):
    with translation.override("en"):
        return insurance_status(claim, declaration, today=today)


def test_an_invoice_the_insurer_never_saw_says_nothing():
    assert status() == ""


def test_a_declared_overdue_says_when_it_was_declared():
    declared = Declaration(status=Declaration.Status.SENT, declared_on=date(2026, 5, 4))
    assert status(declaration=declared) == "Declared overdue to the credit insurer on May 4, 2026."


def test_a_claim_filed_says_it_waits_for_the_indemnity_whatever_the_declaration():
    claim = Claim(state=Claim.State.ACKNOWLEDGED, filed_on=date(2026, 8, 1))
    declared = Declaration(status=Declaration.Status.SENT, declared_on=date(2026, 5, 4))
    assert status(claim, declared) == (
        "Claimed from the credit insurer on Aug. 1, 2026; waiting for its indemnity."
    )


def test_an_indemnified_claim_says_when():
    claim = Claim(state=Claim.State.INDEMNIFIED, indemnified_on=date(2026, 11, 9))
    assert status(claim) == "Indemnified by the credit insurer on Nov. 9, 2026."


def test_a_declaration_missed_says_the_cover_may_be_lost():
    late = Declaration(status=Declaration.Status.LATE, deadline=date(2026, 11, 28))
    assert "not cover" in status(declaration=late)


def test_a_declaration_still_to_send_after_its_deadline_says_the_cover_may_be_lost():
    # The collector's pages show it as lost cover (declarations_cover_lost): the consultant
    # is not told it is "being declared".
    waiting = Declaration(status=Declaration.Status.TO_SEND, deadline=date(2026, 11, 28))
    assert status(declaration=waiting) == (
        "Not declared to the credit insurer in time: the insurer may not cover it."
    )
    assert status(declaration=waiting, today=date(2026, 11, 28)) == (
        "Being declared overdue to the credit insurer."
    )
