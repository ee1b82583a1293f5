"""Documents issued through the services pass the two official schematrons a plateforme
agréée applies (EN 16931 and BR-FR, see invoices/schematron/); one that breaks a rule is
refused, naming it."""

import io
from datetime import date

import pytest
from lxml import etree
from pypdf import PdfReader

from invoices import schematron
from invoices.facturx import facturx_xml
from invoices.pdf import facturx_document, invoice_pdf_ensure
from invoices.schematron import DocumentRefused, check_document, failed_rules
from invoices.services.billing import credit_note_issue, invoice_draft_create, invoice_issue
from tests.factories import day_line, make_client, make_consultant, make_invoice

pytestmark = pytest.mark.django_db

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
ISSUED_ON = date(2026, 9, 15)
GERMAN_VAT_NUMBER = "DE136695976"


@pytest.fixture(scope="session", autouse=True)
def _compiled_once():
    """Compiling the stylesheets is the slow part: once for the whole session."""
    schematron.warm_up()


def xml_of(invoice, in_tenant):
    with in_tenant(invoice.tenant):
        return facturx_xml(facturx_document(invoice))


def values(xml, path):
    return [
        getattr(node, "text", node) for node in etree.fromstring(xml).xpath(path, namespaces=NS)
    ]


def assert_accepted(xml):
    fatal = [failure for failure in failed_rules(xml) if failure.is_fatal]
    assert fatal == []
    check_document(xml)


def test_an_invoice_at_20_and_10_percent_passes_both_schematrons(tenant_a, in_tenant):
    invoice = make_invoice(
        tenant_a,
        issued_on=ISSUED_ON,
        lines=[day_line(vat="20.00"), day_line(days="2", rate="300.00", vat="10.00")],
    )
    xml = xml_of(invoice, in_tenant)

    assert_accepted(xml)
    assert values(
        xml, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:CategoryCode"
    ) == ["S", "S"]
    assert values(xml, "//ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID") == ["S1"]


def test_the_legal_mentions_are_notes_with_their_subject_codes(tenant_a, in_tenant):
    xml = xml_of(make_invoice(tenant_a, issued_on=ISSUED_ON), in_tenant)

    assert values(xml, "//rsm:ExchangedDocument/ram:IncludedNote/ram:SubjectCode") == [
        "BAR",
        "PMD",
        "PMT",
        "AAB",
    ]
    assert values(xml, "//ram:IncludedNote[ram:SubjectCode='BAR']/ram:Content") == ["B2B"]


def test_seller_and_buyer_have_their_directory_addresses(tenant_a, in_tenant):
    client = make_client(tenant_a)
    with in_tenant(tenant_a):
        client.einvoicing_address = f"{client.siren}_FACTURES"
        client.einvoicing_scheme = "0225"
        client.save()
    invoice = make_invoice(tenant_a, client=client, issued_on=ISSUED_ON)
    xml = xml_of(invoice, in_tenant)

    assert_accepted(xml)
    assert values(xml, "//ram:SellerTradeParty/ram:URIUniversalCommunication/ram:URIID") == [
        tenant_a.siren
    ]
    assert values(xml, "//ram:BuyerTradeParty/ram:URIUniversalCommunication/ram:URIID") == [
        f"{client.siren}_FACTURES"
    ]
    assert values(
        xml, "//ram:BuyerTradeParty/ram:URIUniversalCommunication/ram:URIID/@schemeID"
    ) == ["0225"]
    assert invoice.buyer["einvoicing_address"] == f"{client.siren}_FACTURES"


def test_a_credit_note_referring_to_its_invoice_passes_both_schematrons(tenant_a, in_tenant):
    invoice = make_invoice(tenant_a, issued_on=ISSUED_ON)
    with in_tenant(tenant_a):
        note = credit_note_issue(
            invoice=invoice, by=None, reason="Jour non travaillé", issued_on=date(2026, 9, 20)
        )
    xml = xml_of(note, in_tenant)

    assert_accepted(xml)
    assert values(xml, "//rsm:ExchangedDocument/ram:TypeCode") == ["381"]
    assert values(xml, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == [invoice.number]


def test_an_invoice_with_an_exempt_line_passes_both_schematrons(tenant_a, in_tenant):
    invoice = make_invoice(
        tenant_a,
        issued_on=ISSUED_ON,
        lines=[day_line(), day_line(days="1", rate="900.00", vat="0", description="Formation")],
    )
    xml = xml_of(invoice, in_tenant)

    assert_accepted(xml)
    assert values(xml, "//ram:ApplicableTradeTax[ram:CategoryCode='E']/ram:ExemptionReason")


def test_an_eu_business_client_is_billed_under_reverse_charge(tenant_a, in_tenant):
    client = make_client(
        tenant_a, country="DE", siren="", vat_number=GERMAN_VAT_NUMBER, city="Berlin"
    )
    invoice = make_invoice(tenant_a, client=client, issued_on=ISSUED_ON, lines=[day_line(vat="0")])
    xml = xml_of(invoice, in_tenant)

    assert_accepted(xml)
    tax = "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax"
    assert values(xml, f"{tax}/ram:CategoryCode") == ["AE"]
    assert values(xml, f"{tax}/ram:ExemptionReason") == ["Autoliquidation"]
    assert values(xml, f"{tax}/ram:ExemptionReasonCode") == ["VATEX-EU-AE"]
    assert values(xml, "//ram:IncludedNote[ram:SubjectCode='BAR']/ram:Content") == ["B2BINT"]


def test_a_client_outside_the_eu_is_not_subject_to_vat(tenant_a, in_tenant):
    client = make_client(tenant_a, country="CH", siren="", vat_number="", city="Genève")
    invoice = make_invoice(tenant_a, client=client, issued_on=ISSUED_ON, lines=[day_line(vat="0")])
    xml = xml_of(invoice, in_tenant)

    assert_accepted(xml)
    tax = "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax"
    assert values(xml, f"{tax}/ram:CategoryCode") == ["O"]
    assert values(xml, f"{tax}/ram:ExemptionReasonCode") == ["VATEX-EU-O"]
    assert values(
        xml, "//ram:BuyerTradeParty/ram:URIUniversalCommunication/ram:URIID/@schemeID"
    ) == ["EM"]


def test_an_invoice_of_a_company_with_vat_on_debits_says_so(
    tenant_a, in_tenant, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    tenant_a.vat_on_debits = True
    tenant_a.save()
    invoice = make_invoice(tenant_a, issued_on=ISSUED_ON)
    xml = xml_of(invoice, in_tenant)

    assert_accepted(xml)
    assert values(xml, "//ram:IncludedNote[ram:SubjectCode='TXD']/ram:Content") == [
        "Option pour le paiement de la taxe d'après les débits"
    ]
    assert values(xml, "//ram:ApplicableTradeTax/ram:DueDateTypeCode") == ["5"]
    with in_tenant(tenant_a):
        with invoice_pdf_ensure(invoice=invoice).pdf.open("rb") as file:
            pdf = file.read()
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Option pour le paiement de la taxe d'après les débits" in " ".join(text.split())


def test_the_service_period_is_sent_and_printed(tenant_a, in_tenant, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with in_tenant(tenant_a):
        draft = invoice_draft_create(
            tenant=tenant_a,
            client=make_client(tenant_a),
            consultant=make_consultant(tenant_a),
            lines=[day_line()],
            by=None,
            period_start=date(2026, 8, 1),
            period_end=date(2026, 8, 31),
        )
        invoice = invoice_issue(invoice=draft, by=None, issued_on=ISSUED_ON)
        with invoice_pdf_ensure(invoice=invoice).pdf.open("rb") as file:
            pdf = file.read()
    xml = xml_of(invoice, in_tenant)

    assert_accepted(xml)
    period = "//ram:BillingSpecifiedPeriod"
    assert values(xml, f"{period}/ram:StartDateTime/udt:DateTimeString") == ["20260801"]
    assert values(xml, f"{period}/ram:EndDateTime/udt:DateTimeString") == ["20260831"]
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "du 01/08/2026 au 31/08/2026" in " ".join(text.split())


def test_a_buyer_without_electronic_address_is_refused_naming_br_fr_12(tenant_a, in_tenant):
    client = make_client(
        tenant_a, country="CH", siren="", vat_number="", city="Genève", billing_emails=[]
    )
    invoice = make_invoice(tenant_a, client=client, issued_on=ISSUED_ON, lines=[day_line(vat="0")])

    with pytest.raises(DocumentRefused) as refused:
        check_document(xml_of(invoice, in_tenant))

    assert refused.value.rules == ["BR-FR-12_BT-49"]
    assert "BR-FR-12_BT-49" in str(refused.value)
    assert "BT-49 est obligatoire" in str(refused.value)


def test_legal_mentions_without_subject_codes_are_refused_naming_br_fr_05(tenant_a, in_tenant):
    root = etree.fromstring(xml_of(make_invoice(tenant_a, issued_on=ISSUED_ON), in_tenant))
    for code in root.xpath(
        "//rsm:ExchangedDocument/ram:IncludedNote/ram:SubjectCode", namespaces=NS
    ):
        code.getparent().remove(code)

    with pytest.raises(DocumentRefused) as refused:
        check_document(etree.tostring(root))

    assert set(refused.value.rules) == {
        "BR-FR-05_BT-22_PMT",
        "BR-FR-05_BT-22_PMD",
        "BR-FR-05_BT-22_AAB",
    }
    assert all(failure.schematron == "BR-FR" for failure in refused.value.failures)


def test_a_breach_of_the_norm_is_refused_too(tenant_a, in_tenant):
    root = etree.fromstring(xml_of(make_invoice(tenant_a, issued_on=ISSUED_ON), in_tenant))
    total = root.xpath("//ram:TaxBasisTotalAmount", namespaces=NS)[0]
    total.text = "1.00"

    with pytest.raises(DocumentRefused) as refused:
        check_document(etree.tostring(root))

    assert "BR-CO-13" in refused.value.rules


def test_warnings_alone_do_not_refuse(tenant_a, in_tenant):
    xml = xml_of(make_invoice(tenant_a, issued_on=ISSUED_ON), in_tenant)

    warnings = check_document(xml)

    assert all(not failure.is_fatal for failure in warnings)


def test_a_zero_rated_line_for_an_eu_client_without_vat_number_cannot_be_issued(tenant_a):
    from django.core.exceptions import ValidationError

    client = make_client(tenant_a, country="DE", siren="", vat_number="", city="Berlin")
    with pytest.raises(ValidationError) as refused:
        make_invoice(tenant_a, client=client, issued_on=ISSUED_ON, lines=[day_line(vat="0")])
    assert refused.value.code == "reverse_charge_without_vat_number"


def test_the_seller_s_legal_form_capital_and_registry_are_sent_as_bt_33(tenant_a, in_tenant):
    xml = xml_of(make_invoice(tenant_a, issued_on=ISSUED_ON), in_tenant)

    assert_accepted(xml)
    assert values(xml, "//ram:SellerTradeParty/ram:Description") == [
        f"SAS au capital de 10\u202f000\u00a0€ · RCS Paris {tenant_a.siren[:3]} "
        f"{tenant_a.siren[3:6]} {tenant_a.siren[6:]}"
    ]
