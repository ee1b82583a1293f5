"""The invoice document: a Factur-X PDF with the mandatory mentions, rendered once."""

import io
from datetime import date
from decimal import Decimal

import pytest
from facturx import get_facturx_xml_from_pdf, xml_check_xsd
from lxml import etree
from pypdf import PdfReader

from invoices.pdf import invoice_pdf_ensure
from invoices.services.billing import credit_note_issue
from tests.factories import day_line, make_invoice

pytestmark = pytest.mark.django_db

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def pdf_of(invoice, in_tenant):
    with in_tenant(invoice.tenant):
        stored = invoice_pdf_ensure(invoice=invoice)
        with stored.pdf.open("rb") as file:
            return stored, file.read()


def text_of(pdf):
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_invoice_pdf_carries_the_french_mandatory_mentions(tenant_a, in_tenant):
    invoice = make_invoice(tenant_a, issued_on=date(2026, 3, 2), lines=[day_line(days="18")])
    _, pdf = pdf_of(invoice, in_tenant)
    text = " ".join(text_of(pdf).split())
    for mention in (
        invoice.number,
        "02/03/2026",
        "01/04/2026",
        tenant_a.siren,
        tenant_a.vat_number,
        invoice.client.siren,
        invoice.client.vat_number,
        "18 jours",
        "20 %",
        "40 €",
        "Pas d'escompte",
        "pénalités de retard",
        "FR76 3000 6000",
    ):
        assert mention in text, mention
    assert "12 960,00" in text.replace("\u202f", " ")  # total incl. VAT, French figures


def test_its_embedded_xml_is_valid_en16931_and_matches_the_invoice(tenant_a, in_tenant):
    invoice = make_invoice(tenant_a, issued_on=date(2026, 3, 2))
    _, pdf = pdf_of(invoice, in_tenant)
    filename, xml = get_facturx_xml_from_pdf(pdf)
    assert filename == "factur-x.xml"
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931")
    root = etree.fromstring(xml)
    assert root.findtext(".//rsm:ExchangedDocument/ram:ID", namespaces=NS) == invoice.number
    assert root.findtext(".//ram:GrandTotalAmount", namespaces=NS) == "7200.00"
    assert (
        root.findtext(
            ".//ram:SellerTradeParty/ram:SpecifiedLegalOrganization/ram:ID", namespaces=NS
        )
        == tenant_a.siren
    )


def test_a_credit_note_pdf_names_the_invoice_it_cancels(tenant_a, in_tenant):
    invoice = make_invoice(tenant_a, issued_on=date(2026, 3, 2))
    with in_tenant(tenant_a):
        note = credit_note_issue(
            invoice=invoice,
            by=None,
            reason="Erreur de quantité",
            lines=[day_line(days="1")],
            issued_on=date(2026, 3, 3),
        )
    _, pdf = pdf_of(note, in_tenant)
    assert invoice.number in text_of(pdf)
    root = etree.fromstring(get_facturx_xml_from_pdf(pdf)[1])
    assert root.findtext(".//rsm:ExchangedDocument/ram:TypeCode", namespaces=NS) == "381"


def test_the_pdf_title_and_subject_a_reader_shows_are_in_french(tenant_a, in_tenant):
    invoice = make_invoice(tenant_a, issued_on=date(2026, 3, 2))
    _, pdf = pdf_of(invoice, in_tenant)
    metadata = PdfReader(io.BytesIO(pdf)).metadata
    assert metadata.title == f"{invoice.seller['name']} : Facture {invoice.number}"
    assert metadata.subject.startswith(f"Facture {invoice.number} du 02/03/2026 émise par")


def test_the_pdf_is_rendered_once_and_kept(tenant_a, in_tenant):
    invoice = make_invoice(tenant_a, issued_on=date(2026, 3, 2))
    first, content = pdf_of(invoice, in_tenant)
    tenant_a.legal_name = "Renamed Portage"
    tenant_a.save()
    again, content_again = pdf_of(invoice, in_tenant)
    assert (again.pdf.name, again.pdf_sha256) == (first.pdf.name, first.pdf_sha256)
    assert content_again == content
    assert Decimal(len(content)) > 0


def positions(pdf):
    """{text: (x, y)} of the first page's text runs, y growing upwards."""
    found = {}

    def visit(text, cm, tm, font, size):
        if text.strip():
            found.setdefault(text.strip(), (tm[4], tm[5]))

    PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
    return found


@pytest.mark.parametrize("legal_name", ["Alpha Portage", "Société Coopérative " * 4 + "SAS"])
def test_the_head_keeps_the_seller_and_the_title_side_by_side(tenant_a, in_tenant, legal_name):
    tenant_a.legal_name = legal_name
    tenant_a.save()
    invoice = make_invoice(tenant_a, issued_on=date(2026, 3, 2))
    _, pdf = pdf_of(invoice, in_tenant)
    found = positions(pdf)
    seller = next(xy for text, xy in found.items() if text.startswith(legal_name.split()[0]))
    title, number = found["Facture"], found[invoice.number]
    assert abs(seller[1] - title[1]) < 10  # same band at the top of the page
    assert title[0] > seller[0] + 200 and number[0] > 300  # the title and number on the right


def test_a_company_name_with_an_apostrophe_prints_as_it_is_in_the_page_footer(tenant_a, in_tenant):
    tenant_a.legal_name = 'L\'Atelier "Portage" <Sud>'
    tenant_a.save(update_fields=["legal_name"])
    invoice = make_invoice(tenant_a, issued_on=date(2026, 10, 1))

    _, pdf = pdf_of(invoice, in_tenant)

    footer = PdfReader(io.BytesIO(pdf)).pages[0].extract_text().splitlines()[-1]
    assert footer.startswith('L\'Atelier "Portage" <Sud> · SIREN')
    assert "&#x27;" not in text_of(pdf) and "&quot;" not in text_of(pdf)


def test_an_invoice_is_rendered_with_one_read_of_its_lines(tenant_a, in_tenant):
    """The page, its mentions and the Factur-X XML share the lines read once."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from invoices.models import InvoiceLine
    from invoices.pdf import render_invoice_pdf

    invoice = make_invoice(
        tenant_a, issued_on=date(2026, 3, 2), lines=[day_line(), day_line(vat="10.00")]
    )
    with in_tenant(tenant_a), CaptureQueriesContext(connection) as queries:
        pdf = render_invoice_pdf(invoice)
    table = f'FROM "{InvoiceLine._meta.db_table}"'
    assert len([query for query in queries if table in query["sql"]]) == 1
    text = text_of(pdf).replace("\u202f", " ").replace("\xa0", " ")
    assert "10 %" in text and "20 %" in text  # both lines, and both rates in the breakdown
