"""The billing pages: the collector's journey, the consultant's portal, tenancy, query counts."""

import uuid
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from invoices.models import BankLine, BankStatement, Client, Invoice, Payment
from invoices.services.payments import payment_record
from portage.permissions import Role
from portage.tenancy import tenant_context
from tests.factories import day_line, make_client, make_consultant, make_invoice, make_member

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def issued(tenant_a):
    return make_invoice(tenant_a, issued_on=date(2026, 3, 2))


def test_the_collector_drafts_issues_and_opens_an_invoice_from_the_pages(
    signed_in, collector, tenant_a, in_tenant, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client_, consultant = make_client(tenant_a), make_consultant(tenant_a)
    browser = signed_in(collector)
    response = browser.post(
        reverse("invoice_create"),
        {
            "client": client_.pk,
            "consultant": consultant.pk,
            "mission": "",
            "purchase_order": "PO-1",
            "lines-TOTAL_FORMS": "2",
            "lines-INITIAL_FORMS": "0",
            "lines-0-description": "Conseil",
            "lines-0-quantity": "5",
            "lines-0-unit": "DAY",
            "lines-0-unit_price": "700",
            "lines-0-vat_rate": "20.00",
            "lines-1-description": "",
            "lines-1-quantity": "",
            "lines-1-unit": "DAY",
            "lines-1-unit_price": "",
            "lines-1-vat_rate": "20.00",
        },
    )
    assert response.status_code == 302
    with in_tenant(tenant_a):
        draft = Invoice.objects.get()
    assert (draft.status, draft.total_ttc) == ("draft", D("4200.00"))
    assert browser.get(reverse("invoice_issue", args=[draft.pk])).status_code == 200
    browser.post(reverse("invoice_issue", args=[draft.pk]))
    with in_tenant(tenant_a):
        draft.refresh_from_db()
    assert draft.status == "issued" and draft.number.startswith("FA-")
    pdf = browser.get(reverse("invoice_pdf", args=[draft.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")


def test_an_empty_draft_is_a_form_error(signed_in, collector, tenant_a):
    client_, consultant = make_client(tenant_a), make_consultant(tenant_a)
    response = signed_in(collector).post(
        reverse("invoice_create"),
        {
            "client": client_.pk,
            "consultant": consultant.pk,
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "0",
            "lines-0-description": "",
            "lines-0-quantity": "",
            "lines-0-unit": "DAY",
            "lines-0-unit_price": "",
            "lines-0-vat_rate": "20.00",
        },
    )
    assert response.status_code == 200
    assert response.context["formset"].non_form_errors()


def test_the_collector_records_a_payment_and_the_status_follows(
    signed_in, collector, tenant_a, issued, in_tenant
):
    browser = signed_in(collector)
    form = browser.get(
        reverse("payment_create") + f"?client={issued.client_id}&invoice={issued.pk}"
    )
    assert form.context["form"].initial["amount"] == issued.balance
    response = browser.post(
        reverse("payment_create") + f"?client={issued.client_id}",
        {
            "amount": "1000",
            "received_on": "2026-04-01",
            "method": "transfer",
            "reference": "VIR 1",
            f"allocate_{issued.pk}": "1000",
        },
    )
    assert response.status_code == 302
    with in_tenant(tenant_a):
        issued.refresh_from_db()
        payment = Payment.objects.get()
    assert (issued.status, issued.paid_amount) == ("partially_paid", D("1000.00"))
    browser.post(reverse("payment_reverse", args=[payment.pk]), {"reason": "Saisie en double"})
    with in_tenant(tenant_a):
        issued.refresh_from_db()
    assert issued.status == "issued"


def test_allocating_beyond_the_balance_is_a_form_error(signed_in, collector, issued):
    response = signed_in(collector).post(
        reverse("payment_create") + f"?client={issued.client_id}",
        {
            "amount": "99999",
            "received_on": "2026-04-01",
            "method": "transfer",
            f"allocate_{issued.pk}": "99999",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors


def test_a_credit_note_from_the_invoice_page(signed_in, collector, issued, in_tenant):
    response = signed_in(collector).post(
        reverse("credit_note_create", args=[issued.pk]),
        {
            "scope": "partial",
            "description": "Remise",
            "amount_ht": "100",
            "vat_rate": "20.00",
            "reason": "Geste commercial",
        },
    )
    assert response.status_code == 302
    with in_tenant(issued.tenant):
        issued.refresh_from_db()
    assert issued.credited_amount == D("120.00")


def test_the_invoice_list_filters_by_status_client_consultant_and_due_date(
    signed_in, collector, tenant_a
):
    client_, other_client = make_client(tenant_a), make_client(tenant_a)
    early = make_invoice(tenant_a, client=client_, issued_on=date(2026, 3, 2))
    make_invoice(tenant_a, client=other_client, issued_on=date(2026, 4, 1))
    make_invoice(tenant_a, client=client_)  # a draft
    browser = signed_in(collector)

    def listed(**params):
        page = browser.get(reverse("invoice_list"), params).context["page"]
        return {invoice.pk for invoice in page.object_list}

    assert early.pk in listed(client=client_.pk)
    assert listed(client=other_client.pk).isdisjoint({early.pk})
    assert listed(due_before="2026-04-15") == {early.pk}
    assert listed(consultant=early.consultant_id) == {early.pk}
    assert len(listed(status="draft")) == 1


def test_the_consultant_sees_their_invoices_and_pay_but_not_a_colleagues(
    client, tenant_a, in_tenant, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    mine = make_consultant(tenant_a)
    theirs = make_consultant(tenant_a)
    my_invoice = make_invoice(tenant_a, consultant=mine, issued_on=date(2026, 3, 2))
    their_invoice = make_invoice(tenant_a, consultant=theirs, issued_on=date(2026, 3, 2))
    my_draft = make_invoice(tenant_a, consultant=mine)
    with in_tenant(tenant_a):
        payment_record(
            client=my_invoice.client,
            amount=D("3600"),
            received_on=date(2026, 4, 1),
            by=None,
            allocations=[(my_invoice, D("3600"))],
        )
    client.force_login(mine.user)
    home = client.get(reverse("dashboard"))
    assert [i.pk for i in home.context["page"].object_list] == [my_invoice.pk]
    assert home.context["status"].total("acquired") == D("2700.00")
    assert client.get(reverse("portal_invoice", args=[my_invoice.pk])).status_code == 200
    assert client.get(reverse("portal_invoice_pdf", args=[my_invoice.pk])).status_code == 200
    for other in (their_invoice, my_draft):
        assert client.get(reverse("portal_invoice", args=[other.pk])).status_code == 404
        assert client.get(reverse("portal_invoice_pdf", args=[other.pk])).status_code == 404
    assert client.get(reverse("invoice_detail", args=[my_invoice.pk])).status_code == 403
    pay = client.get(reverse("portal_pay"))
    assert pay.context["status"].balance == D("2700.00")


@pytest.fixture
def tenant_b_objects(tenant_b):
    """One object of each kind in tenant B, for tenant A's users to try to reach."""
    with tenant_context(tenant_b):
        invoice = make_invoice(tenant_b, issued_on=date(2026, 3, 2))
        draft = make_invoice(tenant_b, client=invoice.client, consultant=invoice.consultant)
        payment = payment_record(
            client=invoice.client,
            amount=D("10"),
            received_on=date(2026, 4, 1),
            by=None,
            allocations=[(invoice, D("10"))],
        )
        statement = BankStatement.objects.create(
            tenant=tenant_b, format="csv", filename="b.csv", sha256="b" * 64
        )
        line = BankLine.objects.create(
            tenant=tenant_b,
            statement=statement,
            line_number=2,
            booking_date=date(2026, 4, 1),
            amount=D("5"),
        )
    return {
        "client": invoice.client,
        "invoice": invoice,
        "draft": draft,
        "payment": payment,
        "line": line,
        "consultant": invoice.consultant,
    }


OTHER_TENANT_URLS = [
    ("client_detail", "client"),
    ("client_edit", "client"),
    ("mission_create", "client"),
    ("invoice_detail", "invoice"),
    ("invoice_edit", "draft"),
    ("invoice_delete", "draft"),
    ("invoice_issue", "draft"),
    ("credit_note_create", "invoice"),
    ("invoice_pdf", "invoice"),
    ("payment_detail", "payment"),
    ("payment_allocate", "payment"),
    ("payment_reverse", "payment"),
    ("bank_line_detail", "line"),
    ("bank_line_dismiss", "line"),
    ("consultant_detail", "consultant"),
]


@pytest.mark.parametrize(("url_name", "kind"), OTHER_TENANT_URLS)
def test_another_tenants_objects_answer_404_on_every_page(
    signed_in, tenant_a, tenant_b_objects, url_name, kind
):
    browser = signed_in(make_member(tenant_a, Role.ADMIN))
    url = reverse(url_name, args=[tenant_b_objects[kind].pk])
    assert browser.get(url).status_code == 404
    assert browser.post(url, {"reason": "x", "amount": "1"}).status_code == 404


def test_another_tenants_invoice_is_not_in_the_portal_either(client, tenant_a, tenant_b_objects):
    consultant = make_consultant(tenant_a)
    client.force_login(consultant.user)
    invoice = tenant_b_objects["invoice"]
    assert client.get(reverse("portal_invoice", args=[invoice.pk])).status_code == 404
    assert client.get(reverse("portal_invoice_pdf", args=[invoice.pk])).status_code == 404


def test_nothing_of_another_tenant_shows_in_the_lists(signed_in, tenant_a, tenant_b_objects):
    browser = signed_in(make_member(tenant_a, Role.ADMIN))
    for url_name in ("client_list", "invoice_list", "consultant_list", "bank_queue"):
        page = browser.get(reverse(url_name))
        assert not page.context["page"].object_list, url_name


def _queries(browser, url):
    with CaptureQueriesContext(connection) as queries:
        assert browser.get(url).status_code == 200
    return len(queries)


def _add_rows(tenant, count):
    client_ = make_client(tenant)
    consultant = make_consultant(tenant)
    for n in range(count):
        invoice = make_invoice(
            tenant,
            client=client_,
            consultant=consultant,
            issued_on=date(2026, 3, 2),
            lines=[day_line(days=str(n + 1))],
        )
        with tenant_context(tenant):
            payment_record(
                client=client_,
                amount=D("100"),
                received_on=date(2026, 4, 1),
                by=None,
                allocations=[(invoice, D("100"))],
            )
            statement = BankStatement.objects.create(
                tenant=tenant, format="csv", filename=f"{n}.csv", sha256=uuid.uuid4().hex * 2
            )
            BankLine.objects.create(
                tenant=tenant,
                statement=statement,
                line_number=2,
                booking_date=date(2026, 4, 1),
                amount=D("7"),
            )
    return consultant


@pytest.mark.parametrize(
    "url_name", ["client_list", "invoice_list", "consultant_list", "bank_queue", "dashboard"]
)
def test_list_pages_issue_the_same_queries_for_3_rows_and_for_15(signed_in, tenant_a, url_name):
    browser = signed_in(make_member(tenant_a, Role.ADMIN))
    _add_rows(tenant_a, 3)
    few = _queries(browser, reverse(url_name))
    _add_rows(tenant_a, 12)
    assert _queries(browser, reverse(url_name)) == few


def test_the_portal_issues_the_same_queries_for_3_invoices_and_for_15(client, tenant_a):
    consultant = _add_rows(tenant_a, 3)
    client.force_login(consultant.user)
    few = (_queries(client, reverse("dashboard")), _queries(client, reverse("portal_pay")))
    other_client = make_client(tenant_a)
    for n in range(12):
        make_invoice(
            tenant_a,
            client=other_client,
            consultant=consultant,
            issued_on=date(2026, 3, 2),
            lines=[day_line(days=str(n + 1))],
        )
    many = (_queries(client, reverse("dashboard")), _queries(client, reverse("portal_pay")))
    assert many == few


def client_form(**overrides):
    data = {
        "legal_name": "Nouveau Client SAS",
        "siren": "812 345 676",
        "siret": "",
        "vat_number": "FR 19 812 345 676",
        "country": "fr",
        "address_line1": "1 rue Neuve",
        "address_line2": "",
        "postal_code": "69001",
        "city": "Lyon",
        "billing_emails": "compta@client.example\nfactures@client.example",
        "category": "private",
        "payment_terms": "net",
        "payment_days": "30",
    }
    data.update(overrides)
    return data


def test_a_client_is_created_with_its_identifiers_compacted(
    signed_in, collector, tenant_a, in_tenant
):
    response = signed_in(collector).post(reverse("client_create"), client_form())
    assert response.status_code == 302
    with in_tenant(tenant_a):
        client_ = Client.objects.get()
    assert (client_.siren, client_.vat_number, client_.country) == (
        "812345676",
        "FR19812345676",
        "FR",
    )
    assert client_.billing_emails == ["compta@client.example", "factures@client.example"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"siren": "812345677"}, "siren"),
        ({"siren": ""}, "siren"),
        ({"siret": "81234567600011"}, "siret"),
        ({"billing_emails": "not an email"}, "billing_emails"),
        ({"payment_days": "90"}, "payment_days"),
    ],
)
def test_a_wrong_client_identifier_or_term_is_a_clear_form_error(
    signed_in, collector, tenant_a, in_tenant, overrides, field
):
    response = signed_in(collector).post(reverse("client_create"), client_form(**overrides))
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    with in_tenant(tenant_a):
        assert not Client.objects.exists()


def test_a_foreign_client_needs_no_siren(signed_in, collector, tenant_a, in_tenant):
    response = signed_in(collector).post(
        reverse("client_create"),
        client_form(siren="", vat_number="BE0403170701", country="BE", city="Bruxelles"),
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [("2026-08-31", "2026-08-01", "period_end"), ("2026-08-01", "", "period_end")],
)
def test_the_draft_form_checks_the_service_period(tenant_a, start, end, field):
    from invoices.forms import InvoiceDraftForm

    with tenant_context(tenant_a):
        client, consultant = make_client(tenant_a), make_consultant(tenant_a)
        form = InvoiceDraftForm(
            {
                "client": client.pk,
                "consultant": consultant.pk,
                "period_start": start,
                "period_end": end,
            },
            tenant=tenant_a,
        )
        assert not form.is_valid()
    assert field in form.errors
