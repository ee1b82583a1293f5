"""The consultant's portal: each invoice in words, what it brings and when, the pay page month
by month with the notices of the client's payments."""

import html
import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from consultants.models import LedgerEntry
from consultants.services import pay_out_record
from invoices.services.payments import payment_record
from tests.factories import make_consultant, make_invoice

pytestmark = pytest.mark.django_db

D = Decimal
TODAY = date(2026, 4, 20)


@pytest.fixture
def today(monkeypatch):
    for module in ("consultants.views", "invoices.views.portal"):
        monkeypatch.setattr(f"{module}.paris_today", lambda: TODAY)
    return TODAY


@pytest.fixture
def consultant(tenant_a):
    return make_consultant(tenant_a, fee_rate="10")


def pay(invoice, amount, received_on):
    return payment_record(
        client=invoice.client,
        amount=D(amount),
        received_on=received_on,
        by=None,
        allocations=[(invoice, D(amount))],
    )


def french(client, url):
    return client.get(url, HTTP_ACCEPT_LANGUAGE="fr")


def test_an_invoice_past_due_says_since_when_the_client_is_awaited_and_what_is_at_risk(
    client, tenant_a, in_tenant, consultant, today
):
    invoice = make_invoice(tenant_a, consultant=consultant, issued_on=date(2026, 3, 2))
    with in_tenant(tenant_a):
        pay(invoice, "3600", date(2026, 4, 15))  # half of 7,200 incl. VAT
    client.force_login(consultant.user)
    page = french(client, reverse("portal_invoice", args=[invoice.pk]))
    assert invoice.due_date == date(2026, 4, 1)  # 30 days: 19 days late on 20 April
    assert page.context["invoice"].net_split.received == D("2700.00")
    assert page.context["invoice"].net_split.at_risk == D("2700.00")
    assert page.context["invoice"].net_split.expected == D("0.00")
    text = page.content.decode()
    assert "En attente du client depuis 19 jours" in text
    # Paid out by the default rule: the last day of the month after the client pays, today
    # at the earliest.
    assert (
        "Versement prévu : le 31 mai 2026 au plus tôt, si le client paie d'ici le 20 avril" in text
    )


def test_an_invoice_not_due_yet_is_expected_on_the_pay_out_after_its_due_date(
    client, tenant_a, consultant, today
):
    invoice = make_invoice(tenant_a, consultant=consultant, issued_on=date(2026, 4, 10))
    client.force_login(consultant.user)
    home = french(client, reverse("dashboard"))
    shown = home.context["page"].object_list[0]
    assert shown.net_split.expected == D("5400.00")
    # Due on 10 May (30 days): paid out on the last day of June if the client pays on time.
    assert (invoice.due_date, shown.client_pays_by) == (date(2026, 5, 10), date(2026, 5, 10))
    assert shown.payout_on == date(2026, 6, 30)
    assert "En attente du client : échéance le" in home.content.decode()


def test_a_paid_invoice_says_when_the_client_paid_and_when_it_is_paid_out(
    client, tenant_a, in_tenant, consultant, today
):
    invoice = make_invoice(tenant_a, consultant=consultant, issued_on=date(2026, 3, 2))
    with in_tenant(tenant_a):
        pay(invoice, "7200", date(2026, 3, 31))
    client.force_login(consultant.user)
    text = french(client, reverse("dashboard")).content.decode()
    assert "Payée par le client le 31 mars 2026." in text
    assert "Versement : le 30 avril 2026, selon la règle de versement de la société." in text


def test_the_pay_page_dates_each_amount_by_the_company_s_pay_out_rule(
    client, tenant_a, in_tenant, consultant, today
):
    tenant_a.payout_months_after, tenant_a.payout_day = 1, 5
    tenant_a.save()
    paid = make_invoice(tenant_a, consultant=consultant, issued_on=date(2026, 2, 2))
    waiting = make_invoice(tenant_a, consultant=consultant, issued_on=date(2026, 4, 10))
    with in_tenant(tenant_a):
        pay(paid, "7200", date(2026, 3, 20))  # credits 5,400.00
        pay_out_record(
            consultant=consultant,
            kind=LedgerEntry.Kind.SALARY_PAID,
            amount=D("3000"),
            booked_on=date(2026, 4, 5),
            label="Salaire de mars",
            by=None,
        )
    client.force_login(consultant.user)
    page = french(client, reverse("portal_pay"))
    months = {month.month: month for month in page.context["schedule"]}
    # March's payment is paid out on 5 April: 3,000.00 was, 2,400.00 is still to come.
    assert months[date(2026, 4, 1)].paid_out == D("3000.00")
    [left] = months[date(2026, 4, 1)].expected
    assert (left.amount, left.expected_on, left.credited_on) == (
        D("2400.00"),
        date(2026, 4, 5),
        date(2026, 3, 20),
    )
    # The waiting invoice is paid out on the 5th of the month after the client pays it.
    # Due on 10 May: paid out on 5 June if the client pays on time.
    assert waiting.due_date == date(2026, 5, 10)
    [awaited] = months[date(2026, 6, 1)].expected
    assert (awaited.amount, awaited.expected_on, awaited.waits_for_client) == (
        D("5400.00"),
        date(2026, 6, 5),
        True,
    )
    text = page.content.decode()
    assert "Attend le paiement du client" in text
    assert "Cette date est passée" in text  # 5 April is before 20 April


def test_the_pay_page_keeps_the_notice_of_each_client_payment(
    client, tenant_a, in_tenant, consultant, today, django_capture_on_commit_callbacks
):
    invoice = make_invoice(tenant_a, consultant=consultant, issued_on=date(2026, 3, 2))
    with in_tenant(tenant_a), django_capture_on_commit_callbacks(execute=True):
        pay(invoice, "3600", date(2026, 4, 15))
    client.force_login(consultant.user)
    page = french(client, reverse("portal_pay"))
    [notice] = page.context["notices"]
    assert (notice.amount, notice.share, notice.expected_on) == (
        D("3600.00"),
        D("2700.00"),
        date(2026, 5, 31),
    )
    text = page.content.decode()
    assert "L1254-25" in text
    assert f"à {consultant.user.email}" in text
    on_invoice = french(client, reverse("portal_invoice", args=[invoice.pk]))
    assert list(on_invoice.context["notices"]) == [notice]


def test_a_colleague_s_notices_are_not_on_my_pay_page(client, tenant_a, in_tenant, today):
    mine, theirs = make_consultant(tenant_a), make_consultant(tenant_a)
    their_invoice = make_invoice(tenant_a, consultant=theirs, issued_on=date(2026, 3, 2))
    with in_tenant(tenant_a):
        pay(their_invoice, "100", date(2026, 4, 1))
    client.force_login(mine.user)
    assert list(client.get(reverse("portal_pay")).context["notices"]) == []


def test_a_next_step_whose_day_has_passed_says_it_is_due_since_then():
    from types import SimpleNamespace

    from django.template.loader import render_to_string
    from django.utils import translation

    step = SimpleNamespace(get_kind_display="Mise en demeure")
    invoice = SimpleNamespace(
        status="issued",
        is_open=True,
        due_date=date(2026, 3, 1),
        paid_amount=D("0"),
        case=SimpleNamespace(state="active", last_step=None, next_step=step),
        insurance_status="",
        payout_on=None,
    )
    for next_on, words in (
        (date(2026, 4, 19), "Prochaine étape : Mise en demeure, prévue depuis le 19 avril 2026."),
        (date(2026, 4, 21), "Prochaine étape : Mise en demeure, le 21 avril 2026."),
    ):
        invoice.case.next_step_on = next_on
        with translation.override("fr"):
            text = render_to_string(
                "consultants/includes/invoice_status.html", {"invoice": invoice, "today": TODAY}
            )
        assert words in text


def test_the_pay_page_lists_its_invoices_fifty_at_a_time_with_totals_over_all(
    client, tenant_a, consultant, today, monkeypatch
):
    monkeypatch.setattr("consultants.views.PAY_ROWS_PER_PAGE", 2)
    invoices = [
        make_invoice(tenant_a, consultant=consultant, issued_on=date(2026, 3, 2)) for _ in range(3)
    ]
    client.force_login(consultant.user)
    first = client.get(reverse("portal_pay"))
    second = client.get(reverse("portal_pay"), {"page": 2})
    shown = [row.invoice.pk for row in first.context["rows"]]
    shown += [row.invoice.pk for row in second.context["rows"]]
    assert sorted(shown) == sorted(invoice.pk for invoice in invoices)
    assert len(first.context["rows"]) == 2 and len(second.context["rows"]) == 1
    # The next page opens on the table, not at the top of the page.
    assert 'page=2#invoice-by-invoice"' in first.content.decode()
    assert 'id="invoice-by-invoice"' in first.content.decode()
    # The totals are the consultant's, whatever the page: 3 × 6 000 HT billed.
    for page in (first, second):
        assert len(page.context["status"].rows) == 3
        assert "Page" in page.content.decode() and "pagination" in page.content.decode()
    page = html.unescape(french(client, reverse("portal_pay")).content.decode())
    assert "18 000,00" in re.sub(r"\s", " ", page)


def test_a_month_of_many_expected_amounts_lists_the_first_and_counts_the_others(
    client, tenant_a, consultant, today, monkeypatch
):
    """Three invoices of 5 400,00 € net due on 10 May, all expected on 30 June: with one
    amount listed a month, the page lists one and says the two others and their total."""
    monkeypatch.setattr("invoices.pay.EXPECTED_SHOWN", 1)
    for _ in range(3):
        make_invoice(tenant_a, consultant=consultant, issued_on=date(2026, 4, 10))
    client.force_login(consultant.user)
    page = french(client, reverse("portal_pay"))
    [june] = [month for month in page.context["schedule"] if month.month == date(2026, 6, 1)]
    assert len(june.expected) == 3 and june.expected_total == D("16200.00")
    text = re.sub(r"\s", " ", html.unescape(page.content.decode()))
    assert text.count('<td data-label="Prévu le">') == 1
    assert "Et 2 autres montants attendus ce mois-ci (10 800,00 € au total)" in text
