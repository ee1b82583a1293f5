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
from tests.dunning.drawing import draw_letter_pdfs
from tests.factories import make_client, make_consultant, make_invoice, make_member

ISSUED = date(2026, 3, 2)
DUE = date(2026, 4, 1)
LETTER_DAY = date(2026, 5, 1)  # 30 days late: lateness began on 2 April 2026 (H1 2026)


def test_penalties_worked_by_hand(tenant_a, in_tenant):
    """One invoice of 7 200,00 € TTC (10 days × 600 € + 20 % VAT), due 1 April 2026,
    unpaid on 1 May 2026: 30 days late (2 April to 1 May).
    Rate: H1 2026 ECB main refinancing rate 2,15 % + 10 points = 12,15 % (no contract rate).
    Penalties: 7 200,00 × 12,15 % × 30 / 365 = 71,9013… → 71,90 €.
    Indemnity: 40,00 €. Total claimed: 7 200,00 + 71,90 + 40,00 = 7 311,90 €.
    A second invoice of the same amount, 1 200,00 € of it paid on 10 April (9 days late):
    that part owes 1 200 × 12,15 % × 9 / 365 = 3,5951… → 3,60 €; the balance of 6 000,00 €,
    6 000 × 12,15 % × 30 / 365 = 59,9178… → 59,92 €; penalties 63,52 €, indemnity 40,00 €.
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
        (line["balance"], line["days_late"], line["penalty"], line["indemnity"]) for line in lines
    ] == [
        ("7200.00", 30, "71.90", "40.00"),
        ("6000.00", 30, "63.52", "40.00"),
    ]
    assert [
        (part["amount"], part["paid_on"], part["days"], part["rate"], part["penalty"])
        for part in lines[1]["schedule"]
    ] == [
        ("1200.00", "2026-04-10", 9, "12.15", "3.60"),
        ("6000.00", None, 30, "12.15", "59.92"),
    ]
    assert lines[1]["penalty_on_paid_parts"] == "3.60"


def test_each_day_bears_the_rate_of_its_half_year(tenant_a, in_tenant):
    """7 200,00 € due 29 June 2025, unpaid on 2 July 2025: 30 June is in the first half of
    2025, at 3,15 % + 10 = 13,15 %: 7 200 × 13,15 % × 1 / 365 = 2,5939… → 2,59 €; 1 and 2 July
    in the second, at 2,15 % + 10 = 12,15 %: 7 200 × 12,15 % × 2 / 365 = 4,7934… → 4,79 €.
    Penalties 7,38 €."""
    invoice = make_invoice(tenant_a, issued_on=date(2025, 5, 30))
    assert invoice.due_date == date(2025, 6, 29)
    with in_tenant(tenant_a):
        [line] = claim_lines([invoice], date(2025, 7, 2))
    assert [
        (part["start"], part["end"], part["days"], part["rate"], part["penalty"])
        for part in line["schedule"]
    ] == [
        ("2025-06-30", "2025-06-30", 1, "13.15", "2.59"),
        ("2025-07-01", "2025-07-02", 2, "12.15", "4.79"),
    ]
    assert line["penalty"] == "7.38"


def test_a_half_year_not_in_the_table_stops_the_computation(tenant_a, in_tenant):
    """No other half-year's rate stands in for a missing one."""
    invoice = make_invoice(tenant_a, issued_on=ISSUED)
    with in_tenant(tenant_a):
        RateSemester.objects.filter(year=2026, half=1).delete()
        with pytest.raises(penalties.RatesMissing) as stopped:
            claim_lines([invoice], LETTER_DAY)
    assert stopped.value.missing == (
        penalties.MissingRate(penalties.HalfYear(2026, 1), penalties.ECB),
    )


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
    with django_capture_on_commit_callbacks(execute=True):
        [drawn] = draw_letter_pdfs(tenant_a)
    return drawn


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
