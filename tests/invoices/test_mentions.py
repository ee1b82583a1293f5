"""The invoice's mandatory mentions: the company's registration (Code de commerce R123-237,
R123-238), the date or period of the service (L441-9, CGI art. 242 nonies A), the VAT
mentions; printed on the PDF, sent in the Factur-X XML, and no invoice issued without them."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from facturx import get_facturx_xml_from_pdf
from lxml import etree
from pypdf import PdfReader

from invoices.models import Invoice, NumberCounter
from invoices.pdf import invoice_pdf_ensure
from invoices.services.billing import (
    credit_note_issue,
    invoice_draft_create,
    invoice_issue,
    mission_create,
    mission_service_period,
)
from portage.mentions import registration_mention
from portage.permissions import Role
from portage.tenancy import PLATFORM_DB, tenant_context
from tests.factories import (
    TenantFactory,
    day_line,
    make_client,
    make_consultant,
    make_invoice,
    make_member,
)

pytestmark = pytest.mark.django_db

NS = {"ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}
ISSUED_ON = date(2026, 9, 15)
GERMAN_VAT_NUMBER = "DE136695976"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def registered(db):
    """A company with every mention: SAS with 37 000 € of capital, RCS Lyon, VAT on debits."""
    return TenantFactory(
        legal_name="Gamma Portage",
        siren="812345676",
        vat_number="FR19812345676",
        legal_form="SAS",
        share_capital=Decimal("37000.00"),
        rcs_city="Lyon",
        vat_on_debits=True,
    )


@pytest.fixture
def unregistered(db):
    """A company that has not given its legal form, share capital nor RCS registry."""
    return TenantFactory(legal_form="", share_capital=None, rcs_city="")


def text_of(invoice, in_tenant):
    with in_tenant(invoice.tenant):
        with invoice_pdf_ensure(invoice=invoice).pdf.open("rb") as file:
            pdf = file.read()
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return " ".join(text.replace("\u202f", " ").replace("\u00a0", " ").split()), pdf


def mission_invoice(tenant, in_tenant, *, client=None, start, end, lines=None):
    client = client or make_client(tenant)
    consultant = make_consultant(tenant)
    with in_tenant(tenant):
        mission = mission_create(
            tenant=tenant,
            consultant=consultant,
            client=client,
            by=None,
            title="Refonte du SI",
            start_date=start,
            end_date=end,
            daily_rate=Decimal("600.00"),
        )
        draft = invoice_draft_create(
            tenant=tenant,
            client=client,
            consultant=consultant,
            mission=mission,
            lines=lines or [day_line(days="18")],
            by=None,
        )
        return invoice_issue(invoice=draft, by=None, issued_on=ISSUED_ON)


# The registration mention, worked from R123-237 and R123-238


def test_the_registration_mention_reads_form_capital_then_rcs_city_and_siren():
    mention = registration_mention(
        legal_form="SAS", share_capital=Decimal("37000.00"), rcs_city="Lyon", siren="812345676"
    )
    assert mention == "SAS au capital de 37\u202f000\u00a0€ · RCS Lyon 812 345 676"


def test_a_capital_with_cents_keeps_them():
    mention = registration_mention(
        legal_form="SARL", share_capital=Decimal("7622.45"), rcs_city="Nantes", siren="812345676"
    )
    assert mention == "SARL au capital de 7\u202f622,45\u00a0€ · RCS Nantes 812 345 676"


# The service period, worked from the mission's dates and the issue date (15 September 2026)


@pytest.mark.parametrize(
    ("start", "end", "period"),
    [
        # Ended before the issue: the mission's dates.
        (date(2026, 6, 1), date(2026, 8, 31), (date(2026, 6, 1), date(2026, 8, 31))),
        # Still going on: up to the issue date.
        (date(2026, 8, 3), date(2026, 12, 31), (date(2026, 8, 3), date(2026, 9, 15))),
        (date(2026, 8, 3), None, (date(2026, 8, 3), date(2026, 9, 15))),
        # Billed in advance: its own dates, or nothing to say without an end.
        (date(2026, 10, 1), date(2026, 10, 31), (date(2026, 10, 1), date(2026, 10, 31))),
        (date(2026, 10, 1), None, None),
    ],
)
def test_the_service_period_defaults_to_the_mission_s_dates_up_to_the_issue(start, end, period):
    class Mission:
        start_date, end_date = start, end

    assert mission_service_period(Mission, issued_on=ISSUED_ON) == period


def test_an_invoice_for_a_mission_is_issued_with_the_mission_s_period(tenant_a, in_tenant):
    invoice = mission_invoice(tenant_a, in_tenant, start=date(2026, 8, 3), end=None)

    assert (invoice.period_start, invoice.period_end) == (date(2026, 8, 3), date(2026, 9, 15))
    text, _ = text_of(invoice, in_tenant)
    assert "Période de la prestation : du 03/08/2026 au 15/09/2026" in text


def test_a_period_given_on_the_draft_wins_over_the_mission_s(tenant_a, in_tenant):
    invoice = mission_invoice(tenant_a, in_tenant, start=date(2026, 1, 5), end=None)
    with in_tenant(tenant_a):
        draft = invoice_draft_create(
            tenant=tenant_a,
            client=invoice.client,
            consultant=invoice.consultant,
            mission=invoice.mission,
            lines=[day_line()],
            by=None,
            period_start=date(2026, 8, 1),
            period_end=date(2026, 8, 31),
        )
        issued = invoice_issue(invoice=draft, by=None, issued_on=ISSUED_ON)
    assert (issued.period_start, issued.period_end) == (date(2026, 8, 1), date(2026, 8, 31))


def test_an_invoice_without_mission_nor_period_is_dated_as_its_service(tenant_a, in_tenant):
    invoice = make_invoice(tenant_a, issued_on=ISSUED_ON)

    assert invoice.period_start is None
    text, _ = text_of(invoice, in_tenant)
    assert "Date de la prestation : 15/09/2026" in text


# Every mention on the PDF and in the XML


def test_the_pdf_of_a_company_with_every_mention_prints_them_all(registered, in_tenant):
    invoice = mission_invoice(registered, in_tenant, start=date(2026, 8, 3), end=date(2026, 8, 28))
    text, pdf = text_of(invoice, in_tenant)

    for mention in (
        "Gamma Portage",
        "SAS au capital de 37 000 € · RCS Lyon 812 345 676",
        "1 rue de la Paix",  # the registered office
        "SIREN 812345676",
        "TVA intracommunautaire FR19812345676",
        invoice.number,
        "15/09/2026",  # issue date
        "15/10/2026",  # due date, 30 days
        "Période de la prestation : du 03/08/2026 au 28/08/2026",
        f"SIREN {invoice.client.siren}",
        invoice.client.vat_number,
        "18 jours",
        "Option pour le paiement de la taxe d'après les débits",
        "pénalités de retard",
        "40 €",
        "Pas d'escompte pour paiement anticipé.",
    ):
        assert mention in text, mention
    _, xml = get_facturx_xml_from_pdf(pdf)
    root = etree.fromstring(xml)
    assert root.xpath("//ram:SellerTradeParty/ram:Description/text()", namespaces=NS) == [
        "SAS au capital de 37\u202f000\u00a0€ · RCS Lyon 812 345 676"
    ]


def test_services_to_an_eu_business_read_autoliquidation_with_the_buyer_s_vat_number(
    registered, in_tenant
):
    client = make_client(
        registered, country="DE", siren="", vat_number=GERMAN_VAT_NUMBER, city="Berlin"
    )
    invoice = make_invoice(
        registered, client=client, issued_on=ISSUED_ON, lines=[day_line(vat="0")]
    )
    text, _ = text_of(invoice, in_tenant)

    assert "Autoliquidation" in text
    assert f"TVA intracommunautaire {GERMAN_VAT_NUMBER}" in text
    assert "SAS au capital de 37 000 € · RCS Lyon 812 345 676" in text


def test_services_to_a_client_outside_the_eu_read_vat_not_applicable(registered, in_tenant):
    client = make_client(registered, country="CH", siren="", vat_number="", city="Genève")
    invoice = make_invoice(
        registered, client=client, issued_on=ISSUED_ON, lines=[day_line(vat="0")]
    )
    text, _ = text_of(invoice, in_tenant)

    assert "TVA non applicable, article 259-1° du CGI" in text


@pytest.mark.parametrize(
    ("country", "vat_number", "category"),
    [("DE", GERMAN_VAT_NUMBER, "private"), ("CH", "", "private")],
)
def test_french_vat_on_a_service_to_a_business_abroad_is_refused(
    registered, country, vat_number, category
):
    client = make_client(
        registered, country=country, siren="", vat_number=vat_number, category=category
    )
    draft = make_invoice(registered, client=client, lines=[day_line(vat="20.00")])

    with tenant_context(registered), translation.override("en"):
        with pytest.raises(ValidationError) as refused:
            invoice_issue(invoice=draft, by=None, issued_on=ISSUED_ON)
        assert Invoice.objects.get(pk=draft.pk).status == Invoice.Status.DRAFT

    assert "CGI art. 259-1°" in str(refused.value)


def test_an_invoice_with_french_vat_is_still_cancelled_once_its_client_is_abroad(registered):
    client = make_client(registered)
    invoice = make_invoice(registered, client=client, issued_on=ISSUED_ON)
    with tenant_context(registered):
        # The client moved to Berlin after the invoice (or it was issued before the rule).
        client.country, client.siren, client.vat_number = "DE", "", GERMAN_VAT_NUMBER
        client.save()
        note = credit_note_issue(invoice=invoice, by=None, reason="Erreur de TVA")

    assert (note.kind, note.total_ttc) == (Invoice.Kind.CREDIT_NOTE, invoice.total_ttc)


@pytest.mark.parametrize(
    ("country", "vat_number", "category"),
    [("DE", "", "private"), ("CH", "", "individual"), ("DE", "", "individual")],
)
def test_french_vat_is_kept_for_individuals_and_an_eu_client_without_vat_number(
    registered, country, vat_number, category
):
    client = make_client(
        registered, country=country, siren="", vat_number=vat_number, category=category
    )
    invoice = make_invoice(
        registered, client=client, issued_on=ISSUED_ON, lines=[day_line(vat="20.00")]
    )

    assert invoice.status == Invoice.Status.ISSUED
    assert invoice.total_ttc == Decimal("7200.00")  # 6,000 + 20 % French VAT


# No invoice without its mentions

MISSING = [
    "the company's legal form (Code de commerce R123-238)",
    "the company's share capital (Code de commerce R123-238)",
    "the city of the company's RCS registry (Code de commerce R123-237)",
]


def test_issuing_without_the_registration_mentions_is_refused_with_their_list(
    unregistered, in_tenant
):
    draft = make_invoice(unregistered)
    with in_tenant(unregistered), translation.override("en"):
        with pytest.raises(ValidationError) as refused:
            invoice_issue(invoice=draft, by=None, issued_on=ISSUED_ON)
        draft.refresh_from_db()
        assert not NumberCounter.objects.filter(last_number__gt=0).exists()
    assert refused.value.message_dict == {"missing_mentions": MISSING}
    assert (draft.status, draft.number) == (Invoice.Status.DRAFT, "")


def test_a_missing_vat_number_address_or_iban_is_listed_too(unregistered, in_tenant):
    draft = make_invoice(unregistered)
    unregistered.vat_number = unregistered.iban = unregistered.city = ""
    unregistered.save()
    with in_tenant(unregistered), translation.override("en"):
        with pytest.raises(ValidationError) as refused:
            invoice_issue(invoice=draft, by=None, issued_on=ISSUED_ON)
    assert refused.value.message_dict["missing_mentions"] == [
        *MISSING,
        "the company's registered office address (Code de commerce R123-237)",
        "the company's VAT number (CGI art. 242 nonies A)",
        "the company's IBAN, for the payment instructions",
    ]


def test_one_company_s_missing_mentions_do_not_stop_another_s_invoices(
    registered, unregistered, in_tenant
):
    refused = make_invoice(unregistered)
    issued = make_invoice(registered, issued_on=ISSUED_ON)
    with in_tenant(unregistered):
        with pytest.raises(ValidationError):
            invoice_issue(invoice=refused, by=None, issued_on=ISSUED_ON)
        assert list(Invoice.objects.values_list("number", flat=True)) == [""]
    assert issued.number and issued.seller["legal_info"].startswith("SAS au capital")


def test_the_issue_page_lists_the_missing_mentions_and_offers_no_button(
    signed_in, unregistered, in_tenant
):
    admin = make_member(unregistered, Role.ADMIN)
    draft = make_invoice(unregistered)
    browser = signed_in(admin)
    page = browser.get(reverse("invoice_issue", args=[draft.pk])).content.decode()

    assert all(article in page for article in ("R123-238", "R123-237"))
    assert page.count("<li>") >= 3
    assert reverse("company_edit") in page
    assert '<button type="submit" class="button">' not in page

    response = browser.post(reverse("invoice_issue", args=[draft.pk]), follow=True)
    shown = [str(message) for message in response.context["messages"]]
    assert len(shown) == 1 and shown[0].count("R123-23") == 3
    with in_tenant(unregistered):
        draft.refresh_from_db()
    assert draft.is_draft


def test_the_company_page_says_which_mentions_invoices_still_need(signed_in, unregistered):
    page = signed_in(make_member(unregistered, Role.ADMIN)).get(reverse("company"))
    assert len(page.context["missing_mentions"]) == 3
    assert page.content.count(b"R123-238") == 2 and b"R123-237" in page.content


def test_the_admin_fills_the_mentions_on_the_company_page(signed_in, unregistered):
    from tests.portage.test_company import identity

    admin = make_member(unregistered, Role.ADMIN)
    response = signed_in(admin).post(
        reverse("company_edit"),
        identity(legal_form="SAS", share_capital="25000", rcs_city="Bordeaux"),
    )
    assert response.status_code == 302
    unregistered.refresh_from_db()
    assert unregistered.registration_mention == (
        "SAS au capital de 25\u202f000\u00a0€ · RCS Bordeaux 812 345 676"
    )
    page = signed_in(admin).get(reverse("company"))
    assert page.context["missing_mentions"] == []


def test_a_share_capital_of_zero_is_refused_next_to_the_field(signed_in, unregistered):
    from tests.portage.test_company import identity

    response = signed_in(make_member(unregistered, Role.ADMIN)).post(
        reverse("company_edit"), identity(share_capital="0")
    )
    assert response.status_code == 200
    assert response.context["form"].errors["share_capital"]


@pytest.mark.django_db(transaction=True, databases=["default", PLATFORM_DB])
def test_the_api_answers_422_with_the_missing_mentions(unregistered):
    # The company's settings, not the request, lack the mentions: a rule refuses the issue.
    from tests.helpers import caller

    draft = make_invoice(unregistered)
    response = caller(unregistered).post(f"/api/v1/invoices/{draft.pk}/issue/")

    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"missing_mentions": MISSING}
