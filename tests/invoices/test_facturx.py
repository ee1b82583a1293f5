"""The Factur-X mapping: EN 16931 XML checked against the XSD, refusals, and the PDF/A-3."""

import copy
from datetime import date
from decimal import Decimal

import facturx
import pytest
import weasyprint
from lxml import etree

from invoices.facturx import FacturxError, facturx_pdf, facturx_xml

D = Decimal
NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
}
SETTLEMENT = "//ram:ApplicableHeaderTradeSettlement"
SUMMATION = f"{SETTLEMENT}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
SELLER = "//ram:SellerTradeParty"
BUYER = "//ram:BuyerTradeParty"


def make_document(**overrides):
    """A valid invoice: 5 days at 650.00 and 3 hours at 85.50, both at 20 %."""
    document = {
        "kind": "invoice",
        "number": "FA-2026-000123",
        "issue_date": date(2026, 3, 2),
        "due_date": date(2026, 4, 1),
        "currency": "EUR",
        "seller": {
            "name": "Alpha Portage",
            "siren": "812345676",
            "vat_number": "FR19812345676",
            "address_line1": "12 rue de la Paix",
            "address_line2": "Bâtiment B",
            "postal_code": "75002",
            "city": "Paris",
            "country": "FR",
            "iban": "FR7630006000011234567890189",
            "bic": "AGRIFRPP",
            "email": "",
        },
        "buyer": {
            "name": "Client SA",
            "siren": "908765431",
            "siret": "90876543100015",
            "vat_number": "FR46908765431",
            "address_line1": "1 place Bellecour",
            "address_line2": "",
            "postal_code": "69002",
            "city": "Lyon",
            "country": "FR",
            "email": "compta@client.example",
        },
        "purchase_order": "PO-778",
        "buyer_reference": "PO-778",
        "payment_terms": "Paiement à 30 jours",
        "preceding_invoice": None,
        "notes": [
            ("PMD", "En cas de retard de paiement, des pénalités de retard sont exigibles."),
            ("PMT", "Indemnité forfaitaire pour frais de recouvrement de 40 €."),
            ("AAB", "Pas d'escompte pour paiement anticipé."),
        ],
        "lines": [
            {
                "description": "Mission de conseil — mars 2026",
                "quantity": D("5.000"),
                "unit": "DAY",
                "unit_price": D("650.00"),
                "vat_rate": D("20.00"),
                "total_ht": D("3250.00"),
            },
            {
                "description": "Atelier complémentaire",
                "quantity": D("3.000"),
                "unit": "HUR",
                "unit_price": D("85.50"),
                "vat_rate": D("20.00"),
                "total_ht": D("256.50"),
            },
        ],
        "vat_breakdown": [{"rate": D("20.00"), "base": D("3506.50"), "amount": D("701.30")}],
        "total_ht": D("3506.50"),
        "total_vat": D("701.30"),
        "total_ttc": D("4207.80"),
        "amount_due": D("4207.80"),
    }
    document.update(overrides)
    return document


def make_credit_note():
    """A credit note cancelling one day of FA-2026-000123."""
    return make_document(
        kind="credit_note",
        number="AV-2026-000007",
        issue_date=date(2026, 3, 10),
        due_date=None,
        preceding_invoice={"number": "FA-2026-000123", "issue_date": date(2026, 3, 2)},
        notes=[("AAI", "Avoir sur la facture n° FA-2026-000123 du 02/03/2026.")],
        lines=[
            {
                "description": "Mission de conseil — un jour en moins",
                "quantity": D("1.000"),
                "unit": "DAY",
                "unit_price": D("650.00"),
                "vat_rate": D("20.00"),
                "total_ht": D("650.00"),
            }
        ],
        vat_breakdown=[{"rate": D("20.00"), "base": D("650.00"), "amount": D("130.00")}],
        total_ht=D("650.00"),
        total_vat=D("130.00"),
        total_ttc=D("780.00"),
        amount_due=D("780.00"),
    )


def parse(xml):
    return etree.fromstring(xml)


def text(root, path):
    return [node.text for node in root.xpath(path, namespaces=NS)]


def attribute(root, path, name):
    return [node.get(name) for node in root.xpath(path, namespaces=NS)]


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    """The schematron check would post the XML to a Saxon server: nothing may go out."""

    def refuse(*args, **kwargs):
        raise AssertionError("factur-x tried to reach the network")

    monkeypatch.setattr(facturx.facturx.requests, "post", refuse)


def test_an_invoice_is_valid_en16931_and_carries_number_totals_and_seller_siren():
    xml = facturx_xml(make_document())

    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    root = parse(xml)
    assert text(root, "//rsm:ExchangedDocument/ram:ID") == ["FA-2026-000123"]
    assert text(root, "//rsm:ExchangedDocument/ram:TypeCode") == ["380"]
    assert text(root, "//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID") == [
        "urn:cen.eu:en16931:2017"
    ]
    assert text(root, "//rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString") == [
        "20260302"
    ]
    assert text(root, f"{SUMMATION}/ram:LineTotalAmount") == ["3506.50"]
    assert text(root, f"{SUMMATION}/ram:TaxBasisTotalAmount") == ["3506.50"]
    assert text(root, f"{SUMMATION}/ram:TaxTotalAmount") == ["701.30"]
    assert attribute(root, f"{SUMMATION}/ram:TaxTotalAmount", "currencyID") == ["EUR"]
    assert text(root, f"{SUMMATION}/ram:GrandTotalAmount") == ["4207.80"]
    assert text(root, f"{SUMMATION}/ram:DuePayableAmount") == ["4207.80"]
    assert text(root, f"{SUMMATION}/ram:TotalPrepaidAmount") == []
    assert text(root, f"{SELLER}/ram:SpecifiedLegalOrganization/ram:ID") == ["812345676"]
    assert attribute(root, f"{SELLER}/ram:SpecifiedLegalOrganization/ram:ID", "schemeID") == [
        "0002"
    ]
    assert text(root, f"{SELLER}/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']") == [
        "FR19812345676"
    ]


def test_lines_vat_payment_and_references_are_mapped():
    root = parse(facturx_xml(make_document()))

    lines = root.xpath("//ram:IncludedSupplyChainTradeLineItem", namespaces=NS)
    assert len(lines) == 2
    assert text(lines[1], ".//ram:LineID") == ["2"]
    assert text(lines[1], ".//ram:SpecifiedTradeProduct/ram:Name") == ["Atelier complémentaire"]
    assert text(lines[1], ".//ram:BilledQuantity") == ["3"]
    assert attribute(lines[1], ".//ram:BilledQuantity", "unitCode") == ["HUR"]
    assert text(lines[1], ".//ram:NetPriceProductTradePrice/ram:ChargeAmount") == ["85.50"]
    assert text(lines[1], ".//ram:LineTotalAmount") == ["256.50"]
    assert text(lines[1], ".//ram:ApplicableTradeTax/ram:CategoryCode") == ["S"]
    assert text(lines[1], ".//ram:ApplicableTradeTax/ram:RateApplicablePercent") == ["20.00"]

    assert text(root, f"{SETTLEMENT}/ram:ApplicableTradeTax/ram:BasisAmount") == ["3506.50"]
    assert text(root, f"{SETTLEMENT}/ram:ApplicableTradeTax/ram:CalculatedAmount") == ["701.30"]
    means = f"{SETTLEMENT}/ram:SpecifiedTradeSettlementPaymentMeans"
    assert text(root, f"{means}/ram:TypeCode") == ["58"]
    assert text(root, f"{means}/ram:PayeePartyCreditorFinancialAccount/ram:IBANID") == [
        "FR7630006000011234567890189"
    ]
    assert text(root, f"{means}//ram:BICID") == ["AGRIFRPP"]
    terms = f"{SETTLEMENT}/ram:SpecifiedTradePaymentTerms"
    assert text(root, f"{terms}/ram:Description") == ["Paiement à 30 jours"]
    assert text(root, f"{terms}/ram:DueDateDateTime/udt:DateTimeString") == ["20260401"]
    assert text(root, "//ram:BuyerReference") == ["PO-778"]
    assert text(root, "//ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID") == ["PO-778"]
    notes = text(root, "//rsm:ExchangedDocument/ram:IncludedNote/ram:Content")
    # The three payment mentions, and the kind of exchange the French rules ask (BAR, B2B).
    assert len(notes) == 4 and "B2B" in notes
    assert text(root, f"{BUYER}/ram:SpecifiedLegalOrganization/ram:ID") == ["908765431"]
    assert text(root, f"{BUYER}/ram:GlobalID[@schemeID='0009']") == ["90876543100015"]
    assert text(root, f"{BUYER}/ram:SpecifiedTaxRegistration/ram:ID") == ["FR46908765431"]
    assert text(root, f"{BUYER}//ram:EmailURIUniversalCommunication/ram:URIID") == [
        "compta@client.example"
    ]


def test_a_credit_note_has_type_381_and_references_the_invoice_it_cancels():
    xml = facturx_xml(make_credit_note())

    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    root = parse(xml)
    assert text(root, "//rsm:ExchangedDocument/ram:TypeCode") == ["381"]
    preceding = f"{SETTLEMENT}/ram:InvoiceReferencedDocument"
    assert text(root, f"{preceding}/ram:IssuerAssignedID") == ["FA-2026-000123"]
    assert text(root, f"{preceding}/ram:FormattedIssueDateTime/qdt:DateTimeString") == ["20260302"]
    assert text(root, "//ram:DueDateDateTime/udt:DateTimeString") == []
    # Set off against the invoice, not paid to the seller: no payment instructions.
    assert text(root, "//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode") == []


def test_a_credit_note_must_name_the_invoice_it_cancels():
    with pytest.raises(FacturxError, match="BG-3"):
        facturx_xml({**make_credit_note(), "preceding_invoice": None})


def test_a_zero_rate_is_exempt_with_a_reason():
    lines = [
        {
            "description": "Prestation exonérée",
            "quantity": D("2.500"),
            "unit": "DAY",
            "unit_price": D("600.00"),
            "vat_rate": D("0.00"),
            "total_ht": D("1500.00"),
        }
    ]
    xml = facturx_xml(
        make_document(
            lines=lines,
            vat_breakdown=[{"rate": D("0.00"), "base": D("1500.00"), "amount": D("0.00")}],
            total_ht=D("1500.00"),
            total_vat=D("0.00"),
            total_ttc=D("1500.00"),
            amount_due=D("1500.00"),
        )
    )

    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    root = parse(xml)
    tax = f"{SETTLEMENT}/ram:ApplicableTradeTax"
    assert text(root, f"{tax}/ram:CategoryCode") == ["E"]
    assert text(root, f"{tax}/ram:RateApplicablePercent") == ["0.00"]
    [reason] = text(root, f"{tax}/ram:ExemptionReason")
    assert reason.startswith("Exonération de TVA")
    assert text(
        root, "//ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax/ram:CategoryCode"
    ) == ["E"]
    assert text(root, "//ram:BilledQuantity") == ["2.5"]


def test_a_buyer_known_by_its_siret_only_is_registered_under_scheme_0009():
    document = make_document()
    document["buyer"] = {**document["buyer"], "siren": "", "vat_number": ""}

    root = parse(facturx_xml(document))

    assert text(root, f"{BUYER}/ram:SpecifiedLegalOrganization/ram:ID") == ["90876543100015"]
    assert attribute(root, f"{BUYER}/ram:SpecifiedLegalOrganization/ram:ID", "schemeID") == ["0009"]
    assert text(root, f"{BUYER}/ram:SpecifiedTaxRegistration/ram:ID") == []


def test_a_foreign_buyer_without_french_identifiers_is_accepted():
    document = make_document()
    document["buyer"] = {
        **document["buyer"],
        "siren": "",
        "siret": "",
        "vat_number": "DE123456789",
        "country": "DE",
    }

    root = parse(facturx_xml(document))

    assert text(root, f"{BUYER}/ram:SpecifiedLegalOrganization") == []
    assert text(root, f"{BUYER}/ram:PostalTradeAddress/ram:CountryID") == ["DE"]


def test_a_partly_paid_invoice_states_the_paid_amount():
    root = parse(facturx_xml(make_document(amount_due=D("3207.80"))))

    assert text(root, f"{SUMMATION}/ram:TotalPrepaidAmount") == ["1000.00"]
    assert text(root, f"{SUMMATION}/ram:DuePayableAmount") == ["3207.80"]


@pytest.mark.parametrize(
    ("overrides", "rule"),
    [
        ({"total_ttc": D("4207.81"), "amount_due": D("4207.81")}, "BR-CO-15"),
        ({"total_vat": D("700.00"), "total_ttc": D("4206.50")}, "BR-CO-14"),
        ({"total_ht": D("3500.00")}, "BR-CO-10"),
        (
            {"vat_breakdown": [{"rate": D("20.00"), "base": D("3506.50"), "amount": D("701.31")}]},
            "BR-CO-17",
        ),
        (
            {"vat_breakdown": [{"rate": D("10.00"), "base": D("3506.50"), "amount": D("350.65")}]},
            "BG-23",
        ),
        ({"amount_due": D("5000.00")}, "BR-CO-16"),
        ({"lines": []}, "BR-16"),
        ({"kind": "quote"}, "kind"),
    ],
)
def test_an_inconsistent_document_is_refused(overrides, rule):
    with pytest.raises(FacturxError, match=rule):
        facturx_xml(make_document(**overrides))


def test_a_line_amount_that_is_not_quantity_times_price_is_refused():
    document = make_document()
    document["lines"][0]["total_ht"] = D("3250.01")

    with pytest.raises(FacturxError, match="line 1 amount"):
        facturx_xml(document)


def test_money_is_never_a_float():
    with pytest.raises(FacturxError, match="must be a Decimal"):
        facturx_xml(make_document(total_ttc=4207.80))


def test_money_has_two_decimals_at_most():
    with pytest.raises(FacturxError, match="more than two decimals"):
        facturx_xml(make_document(total_ht=D("3506.500001")))


def test_a_seller_without_vat_number_or_with_a_bad_iban_is_refused():
    document = make_document()
    document["seller"] = {**document["seller"], "vat_number": ""}
    with pytest.raises(FacturxError, match="BT-31"):
        facturx_xml(document)

    document["seller"] = {**make_document()["seller"], "iban": "FR7630006000011234567890188"}
    with pytest.raises(FacturxError, match="IBAN"):
        facturx_xml(document)


def test_data_the_library_refuses_is_reported_as_facturx_error():
    # An unknown currency passes our checks; the library (ISO 4217) refuses it.
    with pytest.raises(FacturxError, match="factur-x refused"):
        facturx_xml(make_document(currency="ZZZ"))


def test_the_document_is_left_as_it_was():
    document = make_document()
    before = copy.deepcopy(document)

    facturx_xml(document)

    assert document == before


def test_the_xml_embedded_in_the_pdf_is_extracted_unchanged():
    xml = facturx_xml(make_document())
    pdf = weasyprint.HTML(
        string="<html lang='fr'><body><h1>Facture FA-2026-000123</h1></body></html>"
    ).write_pdf(pdf_variant="pdf/a-3b")

    facturx_file = facturx_pdf(pdf, xml)

    assert facturx_file.startswith(b"%PDF-")
    filename, extracted = facturx.get_facturx_xml_from_pdf(facturx_file, check_xsd=True)
    assert filename == "factur-x.xml"
    assert extracted == xml
    assert facturx.xml_check_xsd(extracted, flavor="factur-x", level="en16931")


def test_embedding_xml_that_is_not_factur_x_is_refused():
    pdf = weasyprint.HTML(string="<p>x</p>").write_pdf(pdf_variant="pdf/a-3b")

    with pytest.raises(FacturxError):
        facturx_pdf(pdf, b"<not-an-invoice/>")
