"""The formal notice (mise en demeure): penalties worked by hand, the 40 EUR indemnity, the
letter's PDF and its copy by email."""

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from pypdf import PdfReader

from dunning import penalties
from dunning.models import Letter, Policy, RateSemester
from dunning.services.ladder import run_ladder
from dunning.services.letters import claim_lines
from invoices.services.payments import payment_record
from tests.factories import make_client, make_consultant, make_invoice, make_member

ISSUED = date(2026, 3, 2)
DUE = date(2026, 4, 1)
LETTER_DAY = date(2026, 5, 1)  # 30 days late: lateness began on 2 April 2026 (H1 2026)


def test_penalties_worked_by_hand(tenant_a, in_tenant):
    """One invoice of 7 200,00 € TTC (10 days × 600 € + 20 % VAT), due 1 April 2026,
    unpaid on 1 May 2026: 30 days late.
    Rate: H1 2026 ECB main refinancing rate 2,15 % + 10 points = 12,15 %; the floor is
    3 × 2,62 % (legal rate for professionals, H1 2026) = 7,86 %, so 12,15 % applies.
    Penalties: 7 200,00 × 12,15 % × 30 / 365 = 71,9013… → 71,90 €.
    Indemnity: 40,00 €. Total claimed: 7 200,00 + 71,90 + 40,00 = 7 311,90 €.
    A second invoice of the same amount, 1 200,00 € paid: balance 6 000,00 €,
    penalties 6 000 × 12,15 % × 30 / 365 = 59,9178… → 59,92 €, indemnity still 40,00 €.
    """
    client = make_client(tenant_a)
    consultant = make_consultant(tenant_a)
    unpaid = make_invoice(tenant_a, client=client, consultant=consultant, issued_on=ISSUED)
    partly = make_invoice(tenant_a, client=client, consultant=consultant, issued_on=ISSUED)
    assert unpaid.total_ttc == Decimal("7200.00") and unpaid.due_date == DUE
    with in_tenant(tenant_a):
        payment_record(
            client=client,
            amount=Decimal("1200.00"),
            received_on=date(2026, 4, 10),
            by=make_member(tenant_a, "collector").user,
            allocations=[(partly, Decimal("1200.00"))],
        )
        partly.refresh_from_db()
        lines = claim_lines([unpaid, partly], LETTER_DAY)
    assert [
        (line["balance"], line["days_late"], line["rate"], line["penalty"], line["indemnity"])
        for line in lines
    ] == [
        ("7200.00", 30, "12.15", "71.90", "40.00"),
        ("6000.00", 30, "12.15", "59.92", "40.00"),
    ]


def test_the_contract_rate_is_never_below_three_times_the_legal_rate():
    assert penalties.penalty_rate(
        contract_rate=Decimal("5.00"), ecb_rate=Decimal("2.15"), legal_rate=Decimal("2.62")
    ) == penalties.PenaltyRate(rate=Decimal("7.86"), source="legal_floor")
    assert penalties.penalty_rate(
        contract_rate=Decimal("15.00"), ecb_rate=Decimal("2.15"), legal_rate=Decimal("2.62")
    ) == penalties.PenaltyRate(rate=Decimal("15.00"), source="contract")


def test_the_rate_is_that_of_the_half_year_lateness_began(tenant_a, in_tenant):
    # Due 30 June 2025: lateness began on 1 July 2025, H2 2025: 2,15 % + 10 = 12,15 %.
    # Due 29 June 2025: lateness began on 30 June, H1 2025: 3,15 % + 10 = 13,15 %.
    with in_tenant(tenant_a):
        assert RateSemester.objects.count() >= 7
        from dunning.services.letters import reference_rates

        assert reference_rates(date(2025, 7, 1)).ecb_rate == Decimal("2.15")
        assert reference_rates(date(2025, 6, 30)).ecb_rate == Decimal("3.15")
        # A half-year not entered yet uses the latest one before it.
        assert reference_rates(date(2026, 12, 1)).ecb_rate == Decimal("2.15")


def plain(text):
    """French typography's narrow and non-breaking spaces, as plain spaces."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


@pytest.fixture
def letter(tenant_a, in_tenant, django_capture_on_commit_callbacks):
    client = make_client(tenant_a, legal_name="Durand & Fils <SARL>")
    consultant = make_consultant(tenant_a)
    for _ in range(2):
        make_invoice(tenant_a, client=client, consultant=consultant, issued_on=ISSUED)
    with in_tenant(tenant_a), django_capture_on_commit_callbacks(execute=True):
        Policy.objects.update(catch_up=True)
        from dunning.jobs import run as dunning_job

        dunning_job(tenant=tenant_a, today=LETTER_DAY)
        return Letter.objects.get()


def test_one_letter_per_client_with_its_figures_and_an_email_copy(letter, tenant_a, in_tenant):
    assert len(letter.lines) == 2
    assert letter.balance == Decimal("14400.00")
    assert letter.penalties == Decimal("143.80")  # 2 × 71,90
    assert letter.indemnities == Decimal("80.00")
    assert letter.total_claimed == Decimal("14623.80")
    assert letter.deadline == LETTER_DAY + timedelta(days=8)
    assert letter.posting == Letter.Posting.TO_POST
    copies = [message for message in mail.outbox if message.attachments]
    assert len(copies) == 1
    _name, content, kind = copies[0].attachments[0]
    assert kind == "application/pdf" and content.startswith(b"%PDF")
    assert "14 623,80" in plain(copies[0].body)


def test_the_letter_pdf_states_the_debt_penalties_indemnity_and_deadline(letter):
    with letter.pdf.open("rb") as pdf:
        text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.read())).pages)
    for expected in [
        "mise en demeure",
        "Durand & Fils <SARL>",
        "LETTRE RECOMMANDÉE",
        "71,90",
        "143,80",
        "80,00",
        "14 623,80",
        "9 mai 2026",
        "12,15",
        "injonction de payer",
    ]:
        assert expected in plain(text), expected


def test_the_ladder_never_sends_a_step_for_a_time_barred_debt(tenant_a, in_tenant):
    make_invoice(tenant_a, issued_on=ISSUED)
    with in_tenant(tenant_a):
        result = run_ladder(tenant=tenant_a, today=date(2031, 4, 2))
    assert result.steps == 0
