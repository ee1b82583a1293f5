"""Reference rates never silently stale: a formal notice needing a rate the table lacks
waits, the batch and the homes say which rate, the admin is reminded of the new half-year's
rates, and a contract rate under its floor is refused where it is entered."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from dunning.models import Action, Letter, Message, Policy, RateSemester, StepKind
from dunning.services.policies import rates_save
from portage.batch import run_job_for_tenant
from portage.models import Tenant
from portage.permissions import Role
from tests.factories import make_invoice, make_member
from tests.portage.test_company import identity

ISSUED = date(2026, 5, 2)  # due 1 June 2026
NOTICE_DAY = date(2026, 7, 1)  # due + 30: the formal notice's day
LEGAL_H2_2026 = "the legal interest rate of the second half of 2026 (from 1 July)"
# The pages speak French.
LEGAL_H2_2026_FR = "le taux de l'intérêt légal du second semestre 2026 (à partir du 1er juillet)"


@pytest.fixture
def run_day(django_capture_on_commit_callbacks):
    def run(tenant, day):
        with django_capture_on_commit_callbacks(execute=True):
            return run_job_for_tenant("dunning", tenant=tenant, today=day)

    return run


@pytest.fixture
def contract_invoice(tenant_a, in_tenant):
    """An invoice issued with a contract rate of 9,00 % (set in the first half of 2026,
    over its floor of 3 × 2,62 % = 7,86 %), its ladder catching up."""
    Tenant.objects.filter(pk=tenant_a.pk).update(late_penalty_rate=Decimal("9.00"))
    tenant_a.refresh_from_db()
    invoice = make_invoice(tenant_a, issued_on=ISSUED)
    assert invoice.due_date == date(2026, 6, 1) and invoice.seller["late_penalty_rate"] == "9.00"
    with in_tenant(tenant_a):
        Policy.objects.update(catch_up=True)
    return invoice


def notice_steps(tenant, in_tenant):
    with in_tenant(tenant):
        return list(
            Action.objects.filter(kind=StepKind.FORMAL_NOTICE).values_list("performed_on", "status")
        )


def test_the_formal_notice_waits_for_a_missing_legal_rate_and_the_batch_says_which(
    tenant_a, contract_invoice, in_tenant, run_day
):
    summary = run_day(tenant_a, NOTICE_DAY)
    assert summary["letters"] == 0 and summary["letters_waiting"] == 1
    assert summary["rates_missing"] == [LEGAL_H2_2026]
    assert any(
        "formal notice waiting for " + LEGAL_H2_2026 in line and contract_invoice.number in line
        for line in summary["lines"]
    )
    assert notice_steps(tenant_a, in_tenant) == []
    with in_tenant(tenant_a):
        assert not Letter.objects.exists()
        assert not Message.objects.filter(kind=StepKind.FORMAL_NOTICE).exists()
    # The next day it waits again, still without a letter.
    assert run_day(tenant_a, date(2026, 7, 2))["letters_waiting"] == 1


def test_once_the_rate_is_entered_the_next_run_writes_the_notice_at_each_half_year_s_rate(
    tenant_a, contract_invoice, admin_a, in_tenant, run_day
):
    """With 3,10 % (a value for the test) as the legal rate of the second half of 2026, the
    notice of 2 July 2026 on 7 200,00 € at the contract rate of 9,00 %:
    2 to 30 June, 29 days at 9,00 % (its floor 7,86 % is lower):
    7 200 × 9 % × 29 / 365 = 51,4849… → 51,48 €;
    1 and 2 July, 2 days at the floor 3 × 3,10 % = 9,30 % (over 9 %):
    7 200 × 9,30 % × 2 / 365 = 3,6690… → 3,67 €.
    Penalties 55,15 €; claimed 7 200,00 + 55,15 + 40,00 = 7 295,15 €."""
    run_day(tenant_a, NOTICE_DAY)
    with in_tenant(tenant_a):
        rates_save(
            tenant=tenant_a,
            actor=admin_a.user,
            rows=[
                {
                    "year": 2026,
                    "half": 2,
                    "ecb_rate": Decimal("2.40"),
                    "legal_rate": Decimal("3.10"),
                }
            ],
        )
    summary = run_day(tenant_a, date(2026, 7, 2))
    assert (summary["letters"], summary["letters_waiting"]) == (1, 0)
    assert notice_steps(tenant_a, in_tenant) == [(date(2026, 7, 2), Action.Status.DONE)]
    with in_tenant(tenant_a):
        letter = Letter.objects.get()
    [line] = letter.lines
    assert [
        (
            part["start"],
            part["end"],
            part["days"],
            part["rate"],
            part["rate_source"],
            part["penalty"],
        )
        for part in line["schedule"]
    ] == [
        ("2026-06-02", "2026-06-30", 29, "9.00", "contract", "51.48"),
        ("2026-07-01", "2026-07-02", 2, "9.30", "legal_floor", "3.67"),
    ]
    assert (letter.penalties, letter.indemnities, letter.total_claimed) == (
        Decimal("55.15"),
        Decimal("40.00"),
        Decimal("7295.15"),
    )


def test_a_collector_sending_the_notice_now_is_told_which_rate_it_waits_for(
    tenant_a, contract_invoice, in_tenant, run_day
):
    from django.core.exceptions import ValidationError

    from dunning.services.cases import send_next_step_now

    run_day(tenant_a, NOTICE_DAY)
    with in_tenant(tenant_a), pytest.raises(ValidationError) as refused:
        send_next_step_now(
            tenant=tenant_a,
            invoice=contract_invoice,
            actor=make_member(tenant_a, Role.COLLECTOR).user,
            today=NOTICE_DAY,
        )
    assert LEGAL_H2_2026 in refused.value.messages[0]
    assert notice_steps(tenant_a, in_tenant) == []


# The homes


@pytest.fixture
def on_day(monkeypatch):
    def set_day(day):
        for module in ("dunning.views.worklist", "dunning.views.policies"):
            monkeypatch.setattr(f"{module}.paris_today", lambda: day)

    return set_day


def notices(page):
    return [notice["text"] for notice in page.context.get("notices", [])]


def test_the_admin_and_collector_homes_name_the_missing_rate_and_link_to_its_page(
    tenant_a, contract_invoice, signed_in, on_day
):
    on_day(date(2026, 12, 7))
    for role in (Role.ADMIN, Role.COLLECTOR):
        page = signed_in(make_member(tenant_a, role)).get(reverse("dashboard"))
        [notice] = [n for n in page.context["notices"] if LEGAL_H2_2026_FR in n["text"]]
        assert "les mises en demeure qui en ont besoin attendent" in notice["text"]
        assert notice["text"].encode() in page.content.replace(b"&#x27;", b"'")
        if role == Role.ADMIN:
            assert notice["url"] == reverse("dunning_rates")
            assert reverse("dunning_rates").encode() in page.content
        else:
            assert "Un administrateur les saisit" in notice["hint"]


def test_an_invoice_without_a_contract_rate_needs_no_legal_rate(tenant_a, signed_in, on_day):
    make_invoice(tenant_a, issued_on=ISSUED)
    on_day(date(2026, 12, 7))
    page = signed_in(make_member(tenant_a, Role.ADMIN)).get(reverse("dashboard"))
    assert notices(page) == []


def test_another_company_s_overdue_invoices_raise_nothing_on_this_home(
    tenant_a, tenant_b, contract_invoice, signed_in, on_day, admin_b
):
    on_day(date(2026, 12, 7))
    assert notices(signed_in(admin_b).get(reverse("dashboard"))) == []


def test_the_admin_is_reminded_of_the_new_half_year_s_rates_in_its_first_days(
    tenant_b, admin_b, signed_in, on_day
):
    browser = signed_in(admin_b)
    on_day(date(2027, 1, 4))
    assert notices(browser.get(reverse("dashboard"))) == [
        "Un nouveau semestre a commencé : saisissez le taux de refinancement principal de la "
        "BCE du premier semestre 2027 (à partir du 1er janvier), le taux de l'intérêt légal du "
        "premier semestre 2027 (à partir du 1er janvier) dès leur publication."
    ]
    on_day(date(2026, 7, 3))
    assert notices(browser.get(reverse("dashboard"))) == [
        f"Un nouveau semestre a commencé : saisissez {LEGAL_H2_2026_FR} dès leur publication."
    ]
    on_day(date(2027, 1, 20))
    assert notices(browser.get(reverse("dashboard"))) == []
    on_day(date(2026, 3, 2))
    assert notices(browser.get(reverse("dashboard"))) == []


def test_a_contract_rate_under_the_current_floor_is_announced(tenant_a, admin_a, signed_in, on_day):
    """A rate of 7,50 % kept from before (set here directly) is under the floor of the first
    half of 2026, 3 × 2,62 % = 7,86 %: the admin is told, with the rule."""
    Tenant.objects.filter(pk=tenant_a.pk).update(late_penalty_rate=Decimal("7.50"))
    on_day(date(2026, 3, 2))
    [notice] = signed_in(admin_a).get(reverse("dashboard")).context["notices"]
    text = notice["text"].replace("\u00a0", " ")
    assert "(7,5 %) est inférieur" in text and "appliquent 7,86 %" in text
    assert "L441-16" in text
    assert notice["url"] == reverse("company_edit")


# Where the contract rate is entered


@pytest.fixture
def company_on(monkeypatch):
    def set_day(day):
        monkeypatch.setattr("dunning.services.policies.paris_today", lambda: day)

    return set_day


def test_a_contract_rate_under_three_times_the_legal_rate_is_refused_with_the_rule(
    signed_in, admin_a, company_on
):
    """First half of 2026: legal rate 2,62 %, floor 3 × 2,62 % = 7,86 %."""
    company_on(date(2026, 3, 2))
    browser = signed_in(admin_a)
    refused = browser.post(reverse("company_edit"), identity(late_penalty_rate="7.85"))
    assert refused.status_code == 200
    [error] = refused.context["form"].errors["late_penalty_rate"]
    error = error.replace("\u00a0", " ")
    assert "au moins 7,86 % pour le premier semestre 2026" in error and "(3 × 2,62 %)" in error
    assert "nul et passible d'une amende (Code de commerce, art. L441-10 et L441-16)" in error
    assert Tenant.objects.get(pk=admin_a.tenant_id).late_penalty_rate is None
    accepted = browser.post(reverse("company_edit"), identity(late_penalty_rate="7.86"))
    assert accepted.status_code == 302
    assert Tenant.objects.get(pk=admin_a.tenant_id).late_penalty_rate == Decimal("7.86")


def test_a_contract_rate_cannot_be_checked_without_the_half_year_s_legal_rate(
    signed_in, admin_a, company_on
):
    company_on(date(2026, 12, 7))
    refused = signed_in(admin_a).post(reverse("company_edit"), identity(late_penalty_rate="15"))
    [error] = refused.context["form"].errors["late_penalty_rate"]
    assert "Le taux de l'intérêt légal du second semestre 2026" in error
    assert Tenant.objects.get(pk=admin_a.tenant_id).late_penalty_rate is None


def test_a_rate_left_as_it_was_is_not_checked_again(signed_in, admin_a, company_on):
    Tenant.objects.filter(pk=admin_a.tenant_id).update(late_penalty_rate=Decimal("12.00"))
    company_on(date(2026, 12, 7))
    saved = signed_in(admin_a).post(
        reverse("company_edit"), identity(city="Lyon", late_penalty_rate="12.00")
    )
    assert saved.status_code == 302
    assert Tenant.objects.get(pk=admin_a.tenant_id).city == "Lyon"


def test_a_new_company_starts_with_the_second_half_of_2026_s_ecb_rate(tenant_b, in_tenant):
    with in_tenant(tenant_b):
        row = RateSemester.objects.get(year=2026, half=2)
    assert (row.ecb_rate, row.legal_rate) == (Decimal("2.40"), None)


# The formal notice of today, over two half-years


def test_a_notice_of_7_december_2026_shows_both_half_years_and_the_parts_paid_late(
    tenant_a, in_tenant, settings, tmp_path
):
    """7 200,00 € due 1 June 2026, 1 200,00 € of it paid on 15 July, the rest unpaid on
    7 December 2026, no contract rate:
    1 200,00 € from 2 to 30 June, 29 days at 12,15 %: 1 200 × 12,15 % × 29 / 365 → 11,58 €
    (11,5841…); from 1 to 15 July, 15 days at 12,40 %: 1 200 × 12,40 % × 15 / 365 → 6,12 €
    (6,1150…);
    6 000,00 € from 2 to 30 June, 29 days at 12,15 %: 6 000 × 12,15 % × 29 / 365 → 57,92 €
    (57,9205…);
    6 000,00 € from 1 July to 7 December (160 days) at 12,40 %:
    6 000 × 12,40 % × 160 / 365 = 326,1369… → 326,14 €
    Penalties 401,76 €, of which 17,70 € on the part paid late; indemnity 40,00 €;
    claimed 6 000,00 + 401,76 + 40,00 = 6 441,76 €."""
    from dunning.services.letters import claim_lines, letter_create
    from invoices.services.payments import payment_record
    from tests.dunning.drawing import draw_letter_pdfs

    settings.MEDIA_ROOT = tmp_path
    invoice = make_invoice(tenant_a, issued_on=ISSUED)
    with in_tenant(tenant_a):
        payment_record(
            client=invoice.client,
            amount=Decimal("1200.00"),
            received_on=date(2026, 7, 15),
            by=make_member(tenant_a, Role.COLLECTOR).user,
            allocations=[(invoice, Decimal("1200.00"))],
        )
        invoice.refresh_from_db()
        lines = claim_lines([invoice], date(2026, 12, 7))
        letter = letter_create(
            tenant=tenant_a,
            client=invoice.client,
            lines=lines,
            letter_date=date(2026, 12, 7),
            deadline_days=8,
        )
    [letter] = draw_letter_pdfs(tenant_a)
    assert [
        (part["amount"], part["days"], part["rate"], part["penalty"])
        for part in lines[0]["schedule"]
    ] == [
        ("1200.00", 29, "12.15", "11.58"),
        ("1200.00", 15, "12.40", "6.12"),
        ("6000.00", 29, "12.15", "57.92"),
        ("6000.00", 160, "12.40", "326.14"),
    ]
    assert (letter.balance, letter.penalties, letter.total_claimed) == (
        Decimal("6000.00"),
        Decimal("401.76"),
        Decimal("6441.76"),
    )
    with letter.pdf.open("rb") as pdf:
        text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.read())).pages)
    text = " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())
    for expected in [
        "réglé le 15/07/2026",
        "du 02/06/2026 au 30/06/2026",
        "du 01/07/2026 au 07/12/2026",
        "12,15 %",
        "12,40 %",
        "326,14 €",
        "dont 17,70 € sur les sommes réglées en retard",
        "401,76 €",
        "6 441,76 €",
    ]:
        assert expected in text, expected


def test_the_invoice_prints_its_contract_rate_with_the_floor_the_penalties_apply(
    contract_invoice, tenant_a, in_tenant
):
    from invoices.pdf import mandatory_notes

    with in_tenant(tenant_a):
        text = " ".join(note.text for note in mandatory_notes(contract_invoice))
    assert (
        "au taux de 9 % l'an, et au moins trois fois le taux d'intérêt légal en vigueur"
        in text.replace("\u00a0", " ")
    )
