"""Invoices with their collection context, the payments' list, and the bank queue's way
back and its "confirm all": the pages a collector sorts, filters and works through."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from dunning.models import Case
from invoices.models import BankLine, Payment
from invoices.services.bank import bank_lines_confirm_proposed, statement_import
from invoices.services.payments import payment_record
from portage.batch import paris_today, run_job_for_tenant
from tests.factories import day_line, make_client, make_invoice

pytestmark = pytest.mark.django_db

D = Decimal
TODAY = paris_today()


@pytest.fixture
def three(tenant_a):
    """Three invoices of three clients: 40 days late, 10 days late, not due yet."""
    return (
        make_invoice(
            tenant_a,
            client=make_client(tenant_a, legal_name="Zèbre SA"),
            issued_on=TODAY - timedelta(days=70),
        ),
        make_invoice(
            tenant_a,
            client=make_client(tenant_a, legal_name="Atelier SARL"),
            issued_on=TODAY - timedelta(days=40),
        ),
        make_invoice(
            tenant_a,
            client=make_client(tenant_a, legal_name="Marée SAS"),
            issued_on=TODAY - timedelta(days=5),
        ),
    )


def numbers(response):
    return [invoice.number for invoice in response.context["page"].object_list]


def statement(tenant, in_tenant, *rows):
    content = "Date opération;Libellé;Tiers;Montant;Devise;Référence\n" + "\n".join(rows) + "\n"
    with in_tenant(tenant):
        statement_import(tenant=tenant, content=content.encode(), filename="r.csv", by=None)


def credit_row(invoice, amount=None, ref=None):
    return (
        f"{TODAY:%d/%m/%Y};VIR /MOTIF {invoice.number};CLIENT;"
        f"{amount or invoice.total_ttc};EUR;{ref or f'R-{invoice.pk}'}"
    )


def test_the_invoice_list_says_how_late_each_invoice_is(signed_in, collector, three):
    page = signed_in(collector).get(reverse("invoice_list")).content.decode()
    assert "En retard · J+40" in page
    assert "En retard · J+10" in page
    assert page.count("En retard · J+") == 2


def test_the_overdue_filter_keeps_the_late_invoices_only(signed_in, collector, three):
    late, late_too, _not_due = three
    response = signed_in(collector).get(reverse("invoice_list"), {"status": "overdue"})
    assert sorted(numbers(response)) == sorted([late.number, late_too.number])


def test_the_invoice_list_sorts_by_lateness_client_amount_and_due_date(signed_in, collector, three):
    late, late_too, not_due = three
    browser = signed_in(collector)
    by = lambda sort: numbers(browser.get(reverse("invoice_list"), {"o": sort}))  # noqa: E731
    assert by("-lateness") == [late.number, late_too.number, not_due.number]
    assert by("lateness")[:2] == [late_too.number, late.number]
    assert by("client") == [late_too.number, not_due.number, late.number]
    assert by("due") == [late.number, late_too.number, not_due.number]
    assert by("-due") == [not_due.number, late_too.number, late.number]


def test_the_column_headers_keep_the_filters_and_turn_the_sort_round(signed_in, collector, three):
    response = signed_in(collector).get(
        reverse("invoice_list"), {"status": "overdue", "o": "client", "page": "1"}
    )
    sorts = response.context["sorts"]
    assert sorts["client"] == {"url": "?status=overdue&o=-client", "state": "asc"}
    assert sorts["lateness"]["url"] == "?status=overdue&o=-lateness"
    assert 'href="?status=overdue&amp;o=-client"' in response.content.decode()


def test_the_invoice_list_shows_the_collection_step_and_the_cover(
    signed_in, collector, three, tenant_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run_job_for_tenant("dunning", tenant=tenant_a, today=TODAY)
    response = signed_in(collector).get(reverse("invoice_list"))
    page = response.content.decode()
    assert response.context["show_collection"] and response.context["show_cover"]
    assert "Étape de recouvrement" in page
    late = next(i for i in response.context["page"].object_list if i.pk == three[0].pk)
    assert late.case is not None and late.case.last_step is not None
    with translation.override("fr"):
        assert late.case.last_step.get_kind_display() in page


def test_the_invoice_page_shows_its_case_and_links_to_the_client_s_timeline(
    signed_in, collector, three, tenant_a, django_capture_on_commit_callbacks
):
    late = three[0]
    with django_capture_on_commit_callbacks(execute=True):
        run_job_for_tenant("dunning", tenant=tenant_a, today=TODAY)
    response = signed_in(collector).get(reverse("invoice_detail", args=[late.pk]))
    page = response.content.decode()
    assert reverse("dunning_client", args=[late.client_id]) in page
    assert "Chronologie du recouvrement du client" in page and "En retard · J+40" in page
    case = response.context["invoice"].case
    assert case.state == Case.State.ACTIVE and case.last_step is not None
    with translation.override("fr"):
        assert case.last_step.get_kind_display() in page


def test_the_invoice_page_says_a_bank_credit_holds_the_next_step(
    signed_in, collector, three, tenant_a, in_tenant
):
    late = three[0]
    statement(tenant_a, in_tenant, credit_row(late))
    page = signed_in(collector).get(reverse("invoice_detail", args=[late.pk])).content.decode()
    assert "un virement de" in page and "est proposé pour cette facture" in page


@pytest.fixture
def paid(tenant_a, in_tenant, three):
    late, late_too, _ = three
    with in_tenant(tenant_a):
        first = payment_record(
            client=late.client,
            amount=D("1000.00"),
            received_on=TODAY - timedelta(days=3),
            by=None,
            reference="VIR ZEBRE 1",
            allocations=[(late, D("1000.00"))],
        )
        second = payment_record(
            client=late_too.client,
            amount=D("250.50"),
            received_on=TODAY - timedelta(days=1),
            by=None,
            reference="CHQ 4411",
            allocations=[],
        )
    return first, second


def payments_of(response):
    return [payment.pk for payment in response.context["page"].object_list]


def test_the_payments_list_searches_by_client_amount_date_and_reference(signed_in, collector, paid):
    first, second = paid
    browser = signed_in(collector)
    url = reverse("payment_list")
    assert payments_of(browser.get(url)) == [second.pk, first.pk]
    assert payments_of(browser.get(url, {"q": "zèbre"})) == [first.pk]
    assert payments_of(browser.get(url, {"q": "4411"})) == [second.pk]
    assert payments_of(browser.get(url, {"amount": "250,50"})) == [second.pk]
    assert payments_of(browser.get(url, {"amount": "1 000,00"})) == [first.pk]
    day = TODAY - timedelta(days=2)
    assert payments_of(browser.get(url, {"received_before": day.isoformat()})) == [first.pk]
    assert payments_of(browser.get(url, {"o": "-amount"})) == [first.pk, second.pk]
    page = browser.get(url).content.decode()
    assert "250,50" in page and "CHQ 4411" in page and "Non affecté" in page


def test_a_consultant_cannot_open_the_payments_list(signed_in, tenant_a, member):
    from portage.permissions import Role

    response = signed_in(member(tenant_a, Role.CONSULTANT)).get(reverse("payment_list"))
    assert response.status_code == 403


def test_after_confirming_a_bank_line_the_collector_is_back_on_the_queue(
    signed_in, collector, three, tenant_a, in_tenant
):
    late = three[0]
    statement(tenant_a, in_tenant, credit_row(late))
    with in_tenant(tenant_a):
        line = BankLine.objects.get()
    field = f"allocate_{late.pk}"
    response = signed_in(collector).post(
        reverse("bank_line_detail", args=[line.pk]),
        {"confirm": "1", "client": late.client_id, field: str(late.total_ttc)},
    )
    assert response.status_code == 302 and response["Location"] == reverse("bank_queue")
    with in_tenant(tenant_a):
        assert BankLine.objects.get().status == BankLine.Status.CONFIRMED


def test_confirm_all_lists_the_proposed_matches_first_then_records_them(
    signed_in, collector, three, tenant_a, in_tenant
):
    late, late_too, _ = three
    statement(
        tenant_a,
        in_tenant,
        credit_row(late),
        credit_row(late_too, amount="500,00"),
        f"{TODAY:%d/%m/%Y};VIR INCONNU;X;12,00;EUR;R-X",
    )
    browser = signed_in(collector)
    queue = browser.get(reverse("bank_queue")).content.decode()
    assert "Confirmer les 2 rapprochements proposés" in queue
    confirm = browser.get(reverse("bank_confirm_all"))
    assert late.number in confirm.content.decode() and late_too.number in confirm.content.decode()
    with in_tenant(tenant_a):
        assert not Payment.objects.exists()
    response = browser.post(reverse("bank_confirm_all"), {"confirm": "1"}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "2 paiements enregistrés d'après les rapprochements proposés."
    ]
    with in_tenant(tenant_a):
        assert Payment.objects.count() == 2
        assert list(BankLine.objects.values_list("status", flat=True).order_by("amount")) == [
            "unmatched",
            "confirmed",
            "confirmed",
        ]


def test_confirm_all_leaves_a_line_the_service_refuses_and_records_the_others(
    tenant_a, in_tenant, three
):
    late, late_too, _ = three
    statement(tenant_a, in_tenant, credit_row(late), credit_row(late_too))
    with in_tenant(tenant_a):
        payment_record(
            client=late.client,
            amount=late.total_ttc,
            received_on=TODAY,
            by=None,
            allocations=[(late, late.total_ttc)],
        )
        result = bank_lines_confirm_proposed(tenant=tenant_a, by=None)
        assert len(result.payments) == 1 and result.payments[0].client == late_too.client
        ((line, reason),) = result.refused
        assert line.suggestions.get().invoice == late and reason
        assert BankLine.objects.get(pk=line.pk).status == BankLine.Status.SUGGESTED


def test_the_client_list_sorts_by_name_and_exposure_and_keeps_its_search(
    signed_in, collector, three, tenant_a, in_tenant
):
    late = three[0]
    browser = signed_in(collector)
    names = lambda **query: [  # noqa: E731
        client.legal_name for client in browser.get(reverse("client_list"), query).context["page"]
    ]
    assert names(o="client") == ["Atelier SARL", "Marée SAS", "Zèbre SA"]
    assert names(o="-client") == ["Zèbre SA", "Marée SAS", "Atelier SARL"]
    with in_tenant(tenant_a):
        payment_record(
            client=late.client,
            amount=D("7000.00"),
            received_on=TODAY,
            by=None,
            allocations=[(late, D("7000.00"))],
        )
    assert names(o="exposure")[0] == "Zèbre SA"
    assert names(o="-exposure")[-1] == "Zèbre SA"
    response = browser.get(reverse("client_list"), {"q": "S", "o": "client"})
    assert response.context["sorts"]["client"]["url"] == "?q=S&o=-client"
    assert 'name="o" value="client"' in response.content.decode()


@pytest.fixture
def one_client_s(tenant_a):
    """A client's three invoices: 40 days late, 10 days late, not due yet; of 3, 1 and 2
    days of work (3 600,00, 1 200,00, 2 400,00 € incl. VAT)."""
    client = make_client(tenant_a, legal_name="Durand & Fils")
    return tuple(
        make_invoice(
            tenant_a,
            client=client,
            issued_on=TODAY - timedelta(days=age),
            lines=[day_line(days=days, rate="1000.00")],
        )
        for age, days in ((70, "3"), (40, "1"), (5, "2"))
    )


def test_the_client_page_sorts_its_invoices_by_their_column_headers(
    signed_in, collector, one_client_s
):
    late, late_too, not_due = one_client_s
    browser = signed_in(collector)
    url = reverse("client_detail", args=[late.client_id])
    by = lambda sort: numbers(browser.get(url, {"o": sort}))  # noqa: E731
    assert by("-lateness") == [late.number, late_too.number, not_due.number]
    assert by("-amount") == [late.number, not_due.number, late_too.number]
    assert by("due") == [late.number, late_too.number, not_due.number]
    response = browser.get(url, {"o": "-lateness"})
    assert response.context["sorts"]["lateness"] == {"url": "?o=lateness", "state": "desc"}
    assert 'href="?o=-amount"' in response.content.decode()


def test_the_client_page_shows_the_lateness_the_collection_step_and_the_cover(
    signed_in, collector, one_client_s, tenant_a, django_capture_on_commit_callbacks
):
    late = one_client_s[0]
    with django_capture_on_commit_callbacks(execute=True):
        run_job_for_tenant("dunning", tenant=tenant_a, today=TODAY)
    response = signed_in(collector).get(reverse("client_detail", args=[late.client_id]))
    page = response.content.decode()
    assert response.context["show_collection"] and response.context["show_cover"]
    assert "En retard · J+40" in page and "En retard · J+10" in page
    assert "Étape de recouvrement" in page and "Couverture assurance-crédit" in page
    shown = next(i for i in response.context["page"].object_list if i.pk == late.pk)
    with translation.override("fr"):
        assert shown.case.last_step.get_kind_display() in page
