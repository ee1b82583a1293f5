"""The aging balance (balance âgée), the DSO and their page and CSV, figures checked by hand.

Every invoice below is due 30 days after its issue (the factory's client terms). On
30 June 2026:
  A  1 200 issued 15 June, due 15 July    →  not due
  B  2 400 issued  1 May,  due 31 May     →  30 days late (1–30)
  C  3 600 issued 30 April, due 30 May    →  31 days late (31–60), 600 paid → 3 000
  D  4 800 issued  2 March, due 1 April   →  90 days late (61–90)
  E  6 000 issued  1 March, due 31 March  →  91 days late (> 90)
  F  7 200 issued  1 March, paid in full  →  not in the balance
Client X holds A, B, C (6 600); client Y holds D, E, F (10 800). Total 17 400.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dunning.aging import aging_balance, aging_csv_rows, dso
from invoices.services.billing import credit_note_issue
from invoices.services.payments import payment_record
from portage.batch import paris_today
from portage.permissions import Role
from tests.factories import day_line, make_client, make_consultant, make_invoice, make_member

pytestmark = pytest.mark.django_db

D = Decimal
TODAY = date(2026, 6, 30)


def ttc(amount):
    """One day at `amount` excl. VAT, 20 % VAT: an invoice of amount × 1.2 incl. VAT."""
    return [day_line(days="1", rate=amount)]


def pay(tenant, in_tenant, invoice, amount, on=date(2026, 6, 1)):
    with in_tenant(tenant):
        payment_record(
            client=invoice.client,
            amount=D(amount),
            received_on=on,
            by=None,
            allocations=[(invoice, D(amount))],
        )


@pytest.fixture
def book(tenant_a, in_tenant):
    """The invoices of the module docstring."""
    x = make_client(tenant_a, legal_name="Xylo SA")
    y = make_client(tenant_a, legal_name="Yak SARL")
    alice = make_consultant(tenant_a, full_name="Alice Martin")
    bob = make_consultant(tenant_a, full_name="Bob Durand")

    def invoice(client, consultant, amount_ht, issued_on):
        return make_invoice(
            tenant_a,
            client=client,
            consultant=consultant,
            lines=ttc(amount_ht),
            issued_on=issued_on,
        )

    # Issued in date order, as invoice numbers follow the dates.
    invoice(y, bob, "5000", date(2026, 3, 1))
    f = invoice(y, bob, "6000", date(2026, 3, 1))
    invoice(y, bob, "4000", date(2026, 3, 2))
    c = invoice(x, bob, "3000", date(2026, 4, 30))
    invoice(x, alice, "2000", date(2026, 5, 1))
    invoice(x, alice, "1000", date(2026, 6, 15))
    make_invoice(tenant_a, client=y, consultant=bob, lines=ttc("9000"))  # a draft
    pay(tenant_a, in_tenant, c, "600")
    pay(tenant_a, in_tenant, f, "7200")
    return {"x": x, "y": y, "alice": alice, "bob": bob}


def figures(row):
    return [*row.amounts, row.total, row.oldest_days_late]


def test_each_invoice_falls_in_its_bucket_per_client_largest_first(book, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        balance = aging_balance(TODAY)
    assert [row.client for row in balance.rows] == [book["y"], book["x"]]
    assert figures(balance.rows[0]) == [0, 0, 0, D("4800"), D("6000"), D("10800"), 91]
    assert figures(balance.rows[1]) == [D("1200"), D("2400"), D("3000"), 0, 0, D("6600"), 31]
    assert figures(balance.totals) == [
        D("1200"),
        D("2400"),
        D("3000"),
        D("4800"),
        D("6000"),
        D("17400"),
        91,
    ]
    assert balance.overdue == D("16200")


def test_each_bucket_shows_its_share_of_the_total(book, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        balance = aging_balance(TODAY)
    # 1 200 / 17 400 = 6.90 %, 2 400 → 13.79 %, 3 000 → 17.24 %, 4 800 → 27.59 %, 6 000 → 34.48 %
    assert balance.percents == (D("6.9"), D("13.8"), D("17.2"), D("27.6"), D("34.5"))


def test_a_partial_payment_reduces_its_bucket_and_a_full_one_leaves_the_balance(
    book, tenant_a, in_tenant
):
    with in_tenant(tenant_a):
        before = aging_balance(TODAY)
        invoice = book["x"].invoices.get(issue_date=date(2026, 5, 1))
    pay(tenant_a, in_tenant, invoice, "400")
    with in_tenant(tenant_a):
        after = aging_balance(TODAY)
    assert before.totals.amounts[1] - after.totals.amounts[1] == D("400")
    pay(tenant_a, in_tenant, invoice, "2000")
    with in_tenant(tenant_a):
        settled = aging_balance(TODAY)
    assert settled.totals.amounts[1] == 0
    assert settled.totals.total == D("15000")


def test_a_credit_note_reduces_the_balance(book, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        invoice = book["y"].invoices.get(issue_date=date(2026, 3, 2))
        credit_note_issue(
            invoice=invoice, by=None, reason="Remise", lines=ttc("1000"), issued_on=TODAY
        )
        balance = aging_balance(TODAY)
    assert balance.totals.amounts[3] == D("3600")


def test_the_balance_filters_by_consultant_and_by_client(book, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        of_alice = aging_balance(TODAY, consultant=book["alice"])
        of_y = aging_balance(TODAY, client=book["y"])
    assert [figures(row) for row in of_alice.rows] == [[D("1200"), D("2400"), 0, 0, 0, 3600, 30]]
    assert [row.client for row in of_y.rows] == [book["y"]]
    assert of_y.totals.total == D("10800")


def test_an_earlier_day_ages_the_invoices_issued_by_then(book, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        balance = aging_balance(date(2026, 5, 31))
    # A is not issued yet; B is due that day (not due); C 1 day late; D 60; E 61.
    assert figures(balance.totals) == [
        D("2400"),
        D("3000"),
        D("4800"),
        D("6000"),
        0,
        D("16200"),
        61,
    ]


def test_dso_is_outstanding_over_sales_of_the_last_90_days_times_90(book, tenant_a, in_tenant):
    # Issued from 2 April to 30 June: A, B, C = 1 200 + 2 400 + 3 600 = 7 200.
    # 17 400 / 7 200 × 90 = 217.5 days.
    with in_tenant(tenant_a):
        assert dso(TODAY) == D("217.5")
        # Alice: 3 600 outstanding, 3 600 invoiced (A, B) → 90.0 days.
        assert dso(TODAY, consultant=book["alice"]) == D("90.0")


def test_dso_takes_the_credit_notes_of_the_window_off_the_sales(tenant_a, in_tenant):
    client = make_client(tenant_a)
    consultant = make_consultant(tenant_a)
    old = make_invoice(tenant_a, client=client, consultant=consultant, issued_on=date(2026, 2, 1))
    recent = make_invoice(
        tenant_a, client=client, consultant=consultant, issued_on=date(2026, 6, 1)
    )
    pay(tenant_a, in_tenant, old, "3600")
    with in_tenant(tenant_a):
        credit_note_issue(
            invoice=recent, by=None, reason="Remise", lines=ttc("1000"), issued_on=date(2026, 6, 10)
        )
        # Outstanding 6 000 + 3 600 = 9 600; invoiced 7 200 − 1 200 = 6 000 in the window.
        assert dso(TODAY) == D("144.0")
        assert dso(TODAY, days=30) == D("48.0")


def test_dso_is_none_when_nothing_was_invoiced(tenant_a, in_tenant):
    make_invoice(tenant_a, issued_on=date(2026, 1, 5))
    with in_tenant(tenant_a):
        assert dso(TODAY) is None


def test_dso_rounds_half_up_to_one_place(tenant_a, in_tenant):
    client = make_client(tenant_a)
    consultant = make_consultant(tenant_a)
    for day in (1, 2, 3, 4):
        invoice = make_invoice(
            tenant_a,
            client=client,
            consultant=consultant,
            lines=ttc("1000"),
            issued_on=date(2026, 6, day),
        )
    pay(tenant_a, in_tenant, invoice, "1200")
    with in_tenant(tenant_a):
        # 3 600 / 4 800 × 90 = 67.5; × 7 = 5.25 → 5.3 (half up, not half even).
        assert dso(TODAY) == D("67.5")
        assert dso(date(2026, 6, 7), days=7) == D("5.3")


def test_the_csv_rows_are_in_french_with_a_decimal_comma(book, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        rows = aging_csv_rows(TODAY)
    assert rows[0][2] == "Non échu"
    yak = ["Yak SARL", book["y"].siren, "0,00", "0,00", "0,00", "4800,00", "6000,00"]
    assert rows[1] == [*yak, "10800,00", "91"]
    totals = ["Total", "", "1200,00", "2400,00", "3000,00", "4800,00", "6000,00"]
    assert rows[-1] == [*totals, "17400,00", "91"]


# The page and the CSV download


def test_the_collector_sees_the_balance_the_dso_and_the_chart(signed_in, collector, book):
    response = signed_in(collector).get(reverse("dunning_aging"), {"date": "2026-06-30"})
    assert response.status_code == 200
    balance = response.context["balance"]
    assert [row.client for row in balance.rows] == [book["y"], book["x"]]
    assert balance.totals.total == D("17400")
    assert response.context["dso"] == D("217.5")
    html = response.content.decode()
    assert "<svg" in html and 'role="img"' in html
    assert "17\u202f400,00" in html
    assert reverse("dunning_client", args=[book["x"].pk]) in html
    assert reverse("dunning_aging_csv") + "?date=2026-06-30" in html
    assert [bar["width"] for bar in response.context["bars"]] == [76, 152, 190, 304, 380]


def test_the_page_filters_by_consultant(signed_in, collector, book):
    response = signed_in(collector).get(
        reverse("dunning_aging"), {"date": "2026-06-30", "consultant": book["alice"].pk}
    )
    assert response.context["balance"].totals.total == D("3600")
    assert response.context["dso"] == D("90.0")


def test_a_wrong_date_is_a_form_error_and_the_page_shows_today(signed_in, collector, book):
    response = signed_in(collector).get(reverse("dunning_aging"), {"date": "2026-13-45"})
    assert response.status_code == 200
    assert response.context["form"].errors["date"]
    assert response.context["today"] == paris_today()


def test_a_wrong_date_on_the_csv_goes_back_to_the_page(signed_in, collector):
    response = signed_in(collector).get(reverse("dunning_aging_csv"), {"date": "yesterday"})
    assert response.status_code == 302
    assert response["Location"] == reverse("dunning_aging") + "?date=yesterday"


def test_the_page_says_what_to_do_when_nothing_is_owed(signed_in, collector):
    response = signed_in(collector).get(reverse("dunning_aging"))
    assert response.status_code == 200
    assert response.context["balance"].rows == []
    assert response.context["dso"] is None
    assert 'class="empty"' in response.content.decode()


def test_the_csv_download_is_for_french_excel(signed_in, collector, book):
    response = signed_in(collector).get(reverse("dunning_aging_csv"), {"date": "2026-06-30"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="balance-agee-2026-06-30.csv"' in response["Content-Disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "Client;SIREN;Non échu;1-30 j;31-60 j;61-90 j;> 90 j;Total;Retard max (j)"
    assert lines[2] == f"Xylo SA;{book['x'].siren};1200,00;2400,00;3000,00;0,00;0,00;6600,00;31"
    assert lines[3] == "Total;;1200,00;2400,00;3000,00;4800,00;6000,00;17400,00;91"


def test_the_consultant_may_not_see_the_aging_balance(client, tenant_a):
    consultant = make_consultant(tenant_a)
    client.force_login(consultant.user)
    assert client.get(reverse("dunning_aging")).status_code == 403
    assert client.get(reverse("dunning_aging_csv")).status_code == 403


def test_another_tenants_invoices_and_clients_are_not_shown(
    signed_in, collector, tenant_a, tenant_b, book
):
    other = make_client(tenant_b, legal_name="Zèbre SAS")
    make_invoice(tenant_b, client=other, issued_on=date(2026, 3, 2))
    mine = signed_in(collector).get(reverse("dunning_aging"), {"date": "2026-06-30"})
    assert mine.context["balance"].totals.total == D("17400")
    assert "Zèbre" not in mine.content.decode()
    # Their client cannot be chosen as a filter: a form error, not their figures.
    theirs = signed_in(collector).get(
        reverse("dunning_aging"), {"date": "2026-06-30", "client": other.pk}
    )
    assert theirs.context["form"].errors["client"]
    assert theirs.context["balance"].totals.total == D("17400")
    csv = signed_in(collector).get(reverse("dunning_aging_csv"), {"date": "2026-06-30"})
    assert "Zèbre" not in csv.content.decode("utf-8-sig")
    # And tenant B's collector sees only B's invoice.
    theirs = signed_in(make_member(tenant_b, Role.COLLECTOR)).get(
        reverse("dunning_aging"), {"date": "2026-06-30"}
    )
    assert [row.client for row in theirs.context["balance"].rows] == [other]


def test_the_page_issues_the_same_queries_for_2_clients_and_for_12(
    signed_in, collector, tenant_a, book
):
    browser = signed_in(collector)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert browser.get(reverse("dunning_aging"), {"date": "2026-06-30"}).status_code == 200
        return len(captured)

    few = queries()
    consultant = make_consultant(tenant_a)
    for _n in range(10):
        make_invoice(tenant_a, consultant=consultant, issued_on=date(2026, 6, 20))
    assert queries() == few
