"""Premiums (turnover declarations, year end, flat premium) and blank tests (tests à blanc),
with figures worked by hand; their pages, permissions and tenancy."""

import codecs
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from insurance.models import (
    BlankTest,
    BlankTestAnswer,
    BlankTestClient,
    InsurancePolicy,
    Insurer,
    TurnoverDeclaration,
)
from insurance.selectors import blank_tests as blank_test_selectors
from insurance.selectors import premiums as premium_selectors
from insurance.services import blank_test, premiums
from invoices.services.billing import credit_note_issue
from portage.models import AuditEntry
from portage.permissions import Role
from portage.templatetags.portage import euros
from portage.tenancy import tenant_context
from tests.factories import day_line, make_client, make_consultant, make_invoice, make_member

pytestmark = pytest.mark.django_db

D = Decimal
Q1 = date(2026, 1, 1)
APRIL_10 = date(2026, 4, 10)  # Q1 has ended, Q2 is in progress


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def april_10(monkeypatch):
    """The pages' today: 10 April 2026."""
    monkeypatch.setattr("insurance.views.premiums.paris_today", lambda: APRIL_10)


def make_policy(tenant, number="POL-1", **terms):
    values = {
        "starts_on": date(2026, 1, 1),
        "ends_on": date(2026, 12, 31),
        "premium_model": InsurancePolicy.PremiumModel.TURNOVER,
        "premium_rate": D("0.250"),
        "declaration_period": InsurancePolicy.Period.QUARTERLY,
        **terms,
    }
    with tenant_context(tenant):
        insurer = Insurer.objects.get_or_create(tenant=tenant, name="Assureur Test")[0]
        return InsurancePolicy.objects.create(
            tenant=tenant, insurer=insurer, number=number, **values
        )


def declare(tenant, policy, start, turnover=None, declared_on=APRIL_10, actor=None):
    with tenant_context(tenant):
        return premiums.turnover_declare(
            tenant=tenant,
            policy=policy,
            period_start=start,
            actor=actor,
            turnover=None if turnover is None else D(turnover),
            declared_on=declared_on,
        )


def invoice(tenant, client, consultant, issued_on, days, rate="1000.00"):
    return make_invoice(
        tenant,
        client=client,
        consultant=consultant,
        lines=[day_line(days=days, rate=rate)],
        issued_on=issued_on,
    )


# Periods and insurable turnover


def test_a_2026_quarterly_policy_is_declared_in_four_quarters():
    policy = InsurancePolicy(
        starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31), declaration_period="quarterly"
    )
    assert premium_selectors.periods(policy) == [
        (date(2026, 1, 1), date(2026, 3, 31)),
        (date(2026, 4, 1), date(2026, 6, 30)),
        (date(2026, 7, 1), date(2026, 9, 30)),
        (date(2026, 10, 1), date(2026, 12, 31)),
    ]


def test_monthly_periods_follow_the_start_day_and_the_last_is_cut_at_the_end():
    # Each month counts from the 31st, or from the month's last day when it is shorter: 31
    # January to 27 February, 28 February to 30 March, then from 31 March, a period cut at
    # the policy's end on 15 April.
    policy = InsurancePolicy(
        starts_on=date(2026, 1, 31), ends_on=date(2026, 4, 15), declaration_period="monthly"
    )
    assert premium_selectors.periods(policy) == [
        (date(2026, 1, 31), date(2026, 2, 27)),
        (date(2026, 2, 28), date(2026, 3, 30)),
        (date(2026, 3, 31), date(2026, 4, 15)),
    ]


def test_insurable_turnover_leaves_out_excluded_clients_credit_notes_and_drafts(tenant_a):
    policy = make_policy(tenant_a, excluded_countries=["be"])
    private = make_client(tenant_a)
    public = make_client(tenant_a, category="public")
    belgian = make_client(tenant_a, country="BE", siren="", vat_number="")
    consultant = make_consultant(tenant_a)
    invoice(tenant_a, private, consultant, date(2026, 1, 15), "6")  # 6 000 HT
    second = invoice(tenant_a, private, consultant, date(2026, 2, 10), "5")  # 5 000 HT
    invoice(tenant_a, public, consultant, date(2026, 2, 12), "4")  # 4 000 HT, public: out
    invoice(tenant_a, belgian, consultant, date(2026, 2, 15), "3")  # 3 000 HT, BE: out
    with tenant_context(tenant_a):
        credit_note_issue(  # 1 000 HT credited in Q1
            invoice=second,
            by=None,
            reason="One day not worked",
            lines=[day_line(days="1", rate="1000.00")],
            issued_on=date(2026, 3, 5),
        )
    make_invoice(tenant_a, client=private, consultant=consultant)  # a draft: out
    invoice(tenant_a, private, consultant, date(2026, 4, 2), "2")  # 2 000 HT, in Q2
    with tenant_context(tenant_a):
        # Q1: 6 000 + 5 000 − 1 000 = 10 000.00; Q2: 2 000.00.
        assert premium_selectors.insurable_turnover(policy, Q1, date(2026, 3, 31)) == D("10000.00")
        assert premium_selectors.insurable_turnover(
            policy, date(2026, 4, 1), date(2026, 6, 30)
        ) == D("2000.00")
        rows = premium_selectors.period_rows(policy, today=APRIL_10)
    assert [(row.computed, row.status) for row in rows] == [
        (D("10000.00"), "to_declare"),
        (D("2000.00"), "in_progress"),
        (D("0.00"), "upcoming"),
        (D("0.00"), "upcoming"),
    ]


# Declarations


def test_the_premium_of_a_period_is_the_rate_of_its_declared_turnover(tenant_a, admin_a):
    policy = make_policy(tenant_a)
    declaration = declare(tenant_a, policy, Q1, "100000.00", actor=admin_a.user)
    # 0.25 % of 100 000 = 250.00
    assert (declaration.period_end, declaration.insurable_turnover, declaration.premium) == (
        date(2026, 3, 31),
        D("100000.00"),
        D("250.00"),
    )
    with tenant_context(tenant_a):
        entry = AuditEntry.objects.get(action="insurance.turnover_declared")
    # What the invoices gave (nothing here) is kept next to what was declared.
    assert (entry.after["computed_turnover"], entry.after["insurable_turnover"]) == (
        "0.00",
        "100000.00",
    )


def test_without_a_figure_the_computed_turnover_is_declared(tenant_a):
    policy = make_policy(tenant_a)
    invoice(tenant_a, make_client(tenant_a), make_consultant(tenant_a), date(2026, 2, 2), "8")
    declaration = declare(tenant_a, policy, Q1)
    # 8 days × 1 000 = 8 000 HT; 0.25 % = 20.00
    assert (declaration.insurable_turnover, declaration.premium) == (D("8000.00"), D("20.00"))


def test_a_period_is_declared_once(tenant_a):
    policy = make_policy(tenant_a)
    declare(tenant_a, policy, Q1, "100000.00")
    with pytest.raises(ValidationError, match="already been declared"):
        declare(tenant_a, policy, Q1, "90000.00")
    with tenant_context(tenant_a):
        assert TurnoverDeclaration.objects.get().insurable_turnover == D("100000.00")


def test_a_period_is_declared_after_it_ends_and_only_a_period_of_the_policy(tenant_a):
    policy = make_policy(tenant_a)
    with pytest.raises(ValidationError, match="once it has ended"):
        declare(tenant_a, policy, Q1, "1000.00", declared_on=date(2026, 3, 31))
    with pytest.raises(ValidationError, match="not one of the policy's declaration periods"):
        declare(tenant_a, policy, date(2026, 1, 2), "1000.00")
    flat = make_policy(tenant_a, number="POL-F", premium_model="flat")
    with pytest.raises(ValidationError, match="no turnover to declare"):
        declare(tenant_a, flat, Q1, "1000.00")
    with tenant_context(tenant_a):
        assert not TurnoverDeclaration.objects.exists()


def test_year_end_asks_for_the_balance_over_the_deposit(tenant_a):
    policy = make_policy(tenant_a, deposit=D("1000.00"), minimum_premium=D("800.00"))
    declare(tenant_a, policy, Q1, "300000.00")
    declare(tenant_a, policy, date(2026, 4, 1), "300000.00", declared_on=date(2026, 7, 2))
    with tenant_context(tenant_a):
        result = premium_selectors.year_end(policy)
    # 600 000 × 0.25 % = 1 500 due, deposit 1 000 → 500 to pay.
    assert (result.premium_due, result.deposit, result.balance) == (
        D("1500.00"),
        D("1000.00"),
        D("500.00"),
    )


def test_year_end_refunds_the_deposit_over_the_minimum_premium(tenant_a):
    policy = make_policy(tenant_a, deposit=D("1000.00"), minimum_premium=D("800.00"))
    declare(tenant_a, policy, Q1, "200000.00")
    with tenant_context(tenant_a):
        result = premium_selectors.year_end(policy)
    # 200 000 × 0.25 % = 500, under the minimum 800 → 800 due; deposit 1 000 → 200 refunded.
    assert (result.premium_due, result.balance) == (D("800.00"), D("-200.00"))


def test_a_flat_premium_shows_the_share_of_its_ceiling_used(tenant_a):
    policy = make_policy(
        tenant_a,
        premium_model="flat",
        flat_premium=D("3000.00"),
        turnover_ceiling=D("50000.00"),
    )
    client, consultant = make_client(tenant_a), make_consultant(tenant_a)
    invoice(tenant_a, client, consultant, date(2026, 2, 2), "6")
    invoice(tenant_a, client, consultant, date(2026, 5, 4), "6")
    with tenant_context(tenant_a):
        usage = premium_selectors.year_end(policy)
        # 12 000 / 50 000 = 24.00 %
        assert usage == (D("3000.00"), D("24.00"), False)
        policy.turnover_ceiling = D("10000.00")
        # 12 000 / 10 000 = 120.00 %, over the ceiling
        assert premium_selectors.year_end(policy) == (D("3000.00"), D("120.00"), True)


# The premiums page


def test_the_admin_declares_a_quarter_from_the_premiums_page(
    signed_in, admin_a, tenant_a, april_10
):
    policy = make_policy(tenant_a, deposit=D("1000.00"))
    invoice(tenant_a, make_client(tenant_a), make_consultant(tenant_a), date(2026, 2, 2), "8")
    browser = signed_in(admin_a)
    url = reverse("insurance_premiums", args=[policy.pk])
    page = browser.get(url)
    assert page.status_code == 200
    assert euros(D("8000.00")) in page.content.decode()  # the computed turnover of Q1
    form = page.context["rows"][0].form
    assert form.initial["insurable_turnover"] == D("8000.00")
    response = browser.post(
        url,
        {
            "period": "2026-01-01",
            "period-2026-01-01-insurable_turnover": "100000.00",
            "period-2026-01-01-declared_on": "2026-04-08",
        },
    )
    assert response.status_code == 302
    with tenant_context(tenant_a):
        declaration = TurnoverDeclaration.objects.get()
    assert (declaration.insurable_turnover, declaration.premium, declaration.declared_on) == (
        D("100000.00"),
        D("250.00"),
        date(2026, 4, 8),
    )
    page = browser.get(url)
    # 250 due on the year so far, deposit 1 000 → 750 to be refunded (provisional).
    assert page.context["regularisation"].balance == D("-750.00")
    assert euros(D("750.00")) in page.content.decode()


def test_a_period_in_progress_cannot_be_declared_from_the_page(
    signed_in, admin_a, tenant_a, april_10
):
    policy = make_policy(tenant_a)
    response = signed_in(admin_a).post(
        reverse("insurance_premiums", args=[policy.pk]),
        {
            "period": "2026-04-01",
            "period-2026-04-01-insurable_turnover": "1000.00",
            "period-2026-04-01-declared_on": "2026-04-10",
        },
    )
    assert response.status_code == 302
    with tenant_context(tenant_a):
        assert not TurnoverDeclaration.objects.exists()


def test_a_negative_turnover_is_a_form_error(signed_in, admin_a, tenant_a, april_10):
    policy = make_policy(tenant_a)
    response = signed_in(admin_a).post(
        reverse("insurance_premiums", args=[policy.pk]),
        {
            "period": "2026-01-01",
            "period-2026-01-01-insurable_turnover": "-5",
            "period-2026-01-01-declared_on": "2026-04-08",
        },
    )
    assert response.status_code == 200
    assert response.context["rows"][0].form.errors["insurable_turnover"]
    with tenant_context(tenant_a):
        assert not TurnoverDeclaration.objects.exists()


def test_the_flat_policy_page_warns_over_the_ceiling(signed_in, admin_a, tenant_a):
    policy = make_policy(
        tenant_a, premium_model="flat", flat_premium=D("3000.00"), turnover_ceiling=D("5000.00")
    )
    invoice(tenant_a, make_client(tenant_a), make_consultant(tenant_a), date(2026, 2, 2), "6")
    page = signed_in(admin_a).get(reverse("insurance_premiums", args=[policy.pk]))
    assert page.status_code == 200
    # 6 000 / 5 000 = 120 %
    assert page.context["usage"].ceiling_used_percent == D("120.00")
    assert page.context["usage"].over_ceiling
    assert euros(D("6000.00")) in page.content.decode()


# Blank tests: import


def csv_file(text, *, bom=False, name="clients.csv"):
    content = text.encode("utf-8")
    return SimpleUploadedFile(name, (codecs.BOM_UTF8 if bom else b"") + content, "text/csv")


GOOD_CSV = "siren;name;exposure\n732829320;Dupont SA;12 500,50\n552100554;Martin SARL;8000\n"


def test_a_blank_test_is_imported_from_a_csv_file(signed_in, admin_a, tenant_a):
    response = signed_in(admin_a).post(
        reverse("insurance_blank_test_create"),
        {"name": "Offres 2027", "source": "csv", "file": csv_file(GOOD_CSV, bom=True)},
    )
    with tenant_context(tenant_a):
        test = BlankTest.objects.get()
        clients = list(test.clients.values_list("siren", "name", "exposure"))
    assert response.status_code == 302
    assert response.url == reverse("insurance_blank_test", args=[test.pk])
    assert clients == [
        ("732829320", "Dupont SA", D("12500.50")),
        ("552100554", "Martin SARL", D("8000.00")),
    ]


def test_a_csv_with_commas_and_decimal_points_and_no_header_is_read():
    rows = blank_test.parse_clients_csv(
        b'732 829 320,"Dupont, SA",1234.56\r\n\r\n552100554,Martin SARL,"1.234,5"\r\n'
    )
    assert rows == [
        blank_test.ClientRow("732829320", "Dupont, SA", D("1234.56")),
        blank_test.ClientRow("552100554", "Martin SARL", D("1234.50")),
    ]


def test_a_bad_line_is_reported_by_its_number_and_nothing_is_imported(signed_in, admin_a, tenant_a):
    text = GOOD_CSV + "732829321;Wrong check digit;100\n542051180;;12,345\n"
    with pytest.raises(ValidationError) as refused:
        blank_test.parse_clients_csv(text.encode())
    messages = refused.value.messages
    assert len(messages) == 2
    assert messages[0].startswith("Line 4: The SIREN number 732829321 is not valid")
    assert messages[1].startswith("Line 5: the name is missing")
    response = signed_in(admin_a).post(
        reverse("insurance_blank_test_create"),
        {"name": "Offres 2027", "source": "csv", "file": csv_file(text)},
    )
    assert response.status_code == 200
    assert len(response.context["form"].errors["file"]) == 2
    with tenant_context(tenant_a):
        assert not BlankTest.objects.exists()
        assert not BlankTestClient.objects.exists()


def test_a_csv_over_the_limits_is_refused():
    lines = "".join(f"{blank_test_siren(n)};Client {n};100\n" for n in range(2001))
    with pytest.raises(ValidationError, match="at most 2000"):
        blank_test.parse_clients_csv(lines.encode())
    with pytest.raises(ValidationError, match="larger than 1 MB"):
        blank_test.parse_clients_csv(b"x" * 1_000_001)
    with pytest.raises(ValidationError, match="not in UTF-8"):
        blank_test.parse_clients_csv("732829320;Société;1".encode("cp1252"))
    with pytest.raises(ValidationError, match="already on line 1"):
        blank_test.parse_clients_csv(b"732829320;A;1\n732829320;B;2\n")


def blank_test_siren(number):
    from stdnum import luhn

    base = str(10_000_000 + number)
    return base + luhn.calc_check_digit(base)


def test_a_blank_test_of_the_companys_clients_takes_their_exposure(signed_in, admin_a, tenant_a):
    client = make_client(tenant_a, legal_name="Acme")
    make_client(tenant_a, legal_name="Abroad Ltd", country="GB", siren="", vat_number="")
    make_invoice(tenant_a, client=client, issued_on=date(2026, 3, 2))  # 7 200 TTC unpaid
    response = signed_in(admin_a).post(
        reverse("insurance_blank_test_create"), {"name": "Nos clients", "source": "clients"}
    )
    assert response.status_code == 302
    with tenant_context(tenant_a):
        # The client without a SIREN is left out: insurers know clients by their SIREN.
        assert list(BlankTestClient.objects.values_list("name", "exposure")) == [
            ("Acme", D("7200.00"))
        ]


# Blank tests: answers and comparison


@pytest.fixture
def three_clients(tenant_a, admin_a):
    """Total exposure 20 000: Dupont 10 000, Martin 5 000, Petit 5 000; two insurers."""
    text = "732829320;Dupont SA;10000\n552100554;Martin SARL;5000\n542051180;Petit SAS;5000,00\n"
    with tenant_context(tenant_a):
        alpha = Insurer.objects.create(tenant=tenant_a, name="Alpha")
        beta = Insurer.objects.create(tenant=tenant_a, name="Beta")
        test = blank_test.blank_test_create_from_csv(
            tenant=tenant_a, actor=admin_a.user, name="Offres", content=text.encode()
        )
        clients = {client.name: client for client in test.clients.all()}
    return test, alpha, beta, clients


def test_the_answers_are_entered_in_the_grid_and_compared(
    signed_in, admin_a, tenant_a, three_clients
):
    test, alpha, beta, clients = three_clients
    dupont, martin, petit = clients["Dupont SA"], clients["Martin SARL"], clients["Petit SAS"]

    def cell(kind, client, insurer):
        return f"{kind}_{client.pk}_{insurer.pk}"

    response = signed_in(admin_a).post(
        reverse("insurance_blank_test", args=[test.pk]),
        {
            cell("amount", dupont, alpha): "8000",
            cell("grade", dupont, alpha): "4",
            cell("amount", martin, alpha): "5000",
            cell("amount", petit, alpha): "0",
            cell("amount", dupont, beta): "12000",
            cell("amount", martin, beta): "0",
            cell("amount", petit, beta): "4000",
            cell("grade", petit, beta): "7",
        },
    )
    assert response.status_code == 302
    with tenant_context(tenant_a):
        assert BlankTestAnswer.objects.count() == 6
        found = blank_test_selectors.comparison(test)
    alpha_total, beta_total = found.totals
    assert found.total_exposure == D("20000.00")
    # Alpha: granted 8 000 + 5 000 + 0 = 13 000; covers 8 000 + 5 000 = 13 000 = 65 %.
    assert (alpha_total.granted, alpha_total.covered, alpha_total.share, alpha_total.refused) == (
        D("13000.00"),
        D("13000.00"),
        D("65.00"),
        1,
    )
    # Beta: granted 12 000 + 0 + 4 000 = 16 000; covers min(12 000, 10 000) + 4 000 = 14 000
    # = 70 %: the best.
    assert (beta_total.granted, beta_total.covered, beta_total.share, beta_total.refused) == (
        D("16000.00"),
        D("14000.00"),
        D("70.00"),
        1,
    )
    assert found.best == [beta] and beta_total.is_best and not alpha_total.is_best
    page = signed_in(admin_a).get(reverse("insurance_blank_test", args=[test.pk]))
    assert page.status_code == 200
    assert euros(D("14000.00")) in page.content.decode()


def test_an_empty_limit_removes_the_answer_and_a_grade_alone_is_a_form_error(
    signed_in, admin_a, tenant_a, three_clients
):
    test, alpha, _beta, clients = three_clients
    dupont = clients["Dupont SA"]
    with tenant_context(tenant_a):
        blank_test.answers_save(
            test=test, actor=admin_a.user, answers={(dupont, alpha): (D("8000"), "")}
        )
    browser = signed_in(admin_a)
    url = reverse("insurance_blank_test", args=[test.pk])
    response = browser.post(url, {f"grade_{dupont.pk}_{alpha.pk}": "4"})
    assert response.status_code == 200
    assert response.context["form"].errors[f"grade_{dupont.pk}_{alpha.pk}"]
    with tenant_context(tenant_a):
        assert BlankTestAnswer.objects.get().amount == D("8000.00")
    assert browser.post(url, {}).status_code == 302
    with tenant_context(tenant_a):
        assert not BlankTestAnswer.objects.exists()


def test_the_comparison_is_exported_as_french_csv(signed_in, admin_a, tenant_a, three_clients):
    test, alpha, beta, clients = three_clients
    with tenant_context(tenant_a):
        blank_test.answers_save(
            test=test,
            actor=admin_a.user,
            answers={
                (clients["Dupont SA"], alpha): (D("8000"), "4"),
                (clients["Martin SARL"], beta): (D("0"), ""),
            },
        )
    response = signed_in(admin_a).get(reverse("insurance_blank_test_csv", args=[test.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    content = response.content.decode("utf-8")
    assert content.startswith("\ufeff")
    assert content[1:].splitlines() == [
        "SIREN;Client;Encours;Alpha limite;Alpha note;Alpha couvert;"
        "Beta limite;Beta note;Beta couvert",
        "732829320;Dupont SA;10000,00;8000,00;4;8000,00;;;",
        "552100554;Martin SARL;5000,00;;;;0,00;;0,00",
        "542051180;Petit SAS;5000,00;;;;;;",
        ";Total;20000,00;8000,00;;8000,00;0,00;;0,00",
        ";Part de l'encours couverte (%);;;;40,00;;;0,00",
        ";Clients refusés;;;;0;;;1",
    ]


# Permissions and tenancy


def admin_urls(policy, test):
    return [
        reverse("insurance_premiums", args=[policy.pk]),
        reverse("insurance_blank_test_list"),
        reverse("insurance_blank_test_create"),
        reverse("insurance_blank_test", args=[test.pk]),
        reverse("insurance_blank_test_csv", args=[test.pk]),
    ]


def test_a_collector_may_not_open_the_premiums_and_blank_test_pages(
    signed_in, tenant_a, three_clients
):
    policy = make_policy(tenant_a)
    browser = signed_in(make_member(tenant_a, Role.COLLECTOR))
    for url in admin_urls(policy, three_clients[0]):
        assert browser.get(url).status_code == 403, url
        assert browser.post(url, {}).status_code == 403, url


def test_another_tenants_policy_and_blank_test_answer_404(
    signed_in, tenant_a, tenant_b, admin_b, three_clients, april_10
):
    policy = make_policy(tenant_a)
    test = three_clients[0]
    browser = signed_in(admin_b)
    for url in admin_urls(policy, test)[:1] + admin_urls(policy, test)[3:]:
        assert browser.get(url).status_code == 404, url
        assert browser.post(url, {"period": "2026-01-01"}).status_code == 404, url
    list_page = browser.get(reverse("insurance_blank_test_list"))
    assert list_page.status_code == 200
    assert list(list_page.context["page"].object_list) == []
    with tenant_context(tenant_a):
        assert not TurnoverDeclaration.objects.exists()
        assert not BlankTestAnswer.objects.exists()
