"""The CDAR D22B message of a 212 Encaissée and of its correction (einvoicing.cdar): the
elements XP Z12-012 and the French rules (BR-FR-CDV-*) ask for, with their values."""

from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest
from lxml import etree

from einvoicing.cdar import status_message_xml
from einvoicing.connectors.base import StatusMessage

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossDomainAcknowledgementAndResponse:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
}
INVOICE = "rsm:AcknowledgementDocument/ram:ReferenceReferencedDocument"
STATUS = f"{INVOICE}/ram:SpecifiedDocumentStatus"
SELLER = "552100554"
BUYER = "732829320"


def message(**fields):
    values = {
        "reference": "ENC-12",
        "invoice_number": "F-2026-0042",
        "invoice_issue_date": date(2026, 9, 30),
        "seller_siren": SELLER,
        "seller_name": "Portage Conseil SAS",
        "buyer_siren": BUYER,
        "buyer_name": "Client SA",
        "buyer_address": f"{BUYER}_FACT",
        "buyer_address_scheme": "0225",
        "code": "212",
        "amount": D("471.83"),
        "amounts_by_rate": (
            (D("20.00"), D("399.99")),
            (D("10.00"), D("36.67")),
            (D("5.50"), D("35.17")),
        ),
        "collected_on": date(2026, 10, 15),
        # 08:30 UTC is 10:30 in Paris (summer time).
        "issued_at": datetime(2026, 10, 15, 8, 30, tzinfo=UTC),
    }
    return StatusMessage(**{**values, **fields})


def parsed(status):
    return etree.fromstring(status_message_xml(status))


def texts(root, path):
    return [element.text for element in root.iterfind(path, NS)]


def test_a_212_is_a_cdv_message_of_the_processing_phase():
    root = parsed(message())

    assert root.tag == f"{{{NS['rsm']}}}CrossDomainAcknowledgementAndResponse"
    context = "rsm:ExchangedDocumentContext"
    assert texts(
        root, f"{context}/ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID"
    ) == ["REGULATED"]
    assert texts(root, f"{context}/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID") == [
        "urn.cpro.gouv.fr:1p0:CDV:invoice"
    ]
    assert texts(root, "rsm:ExchangedDocument/ram:ID") == ["ENC-12"]
    assert texts(root, "rsm:AcknowledgementDocument/ram:TypeCode") == ["23"]
    moment = root.find("rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString", NS)
    assert (moment.text, moment.get("format")) == ("20261015103000+0200", "205")


def test_a_212_is_sent_by_the_seller_to_the_buyer_at_its_address_and_to_the_ppf():
    root = parsed(message())

    for party in ("ram:SenderTradeParty", "ram:IssuerTradeParty"):
        seller = root.find(f"rsm:ExchangedDocument/{party}", NS)
        assert texts(seller, "ram:GlobalID") == [SELLER]
        assert seller.find("ram:GlobalID", NS).get("schemeID") == "0002"
        assert texts(seller, "ram:RoleCode") == ["SE"]
    buyer, ppf = root.iterfind("rsm:ExchangedDocument/ram:RecipientTradeParty", NS)
    assert (texts(buyer, "ram:GlobalID"), texts(buyer, "ram:RoleCode")) == ([BUYER], ["BY"])
    address = buyer.find("ram:URIUniversalCommunication/ram:URIID", NS)
    assert (address.text, address.get("schemeID")) == (f"{BUYER}_FACT", "0225")
    assert (texts(ppf, "ram:GlobalID"), texts(ppf, "ram:RoleCode")) == (["0000"], ["DFH"])
    assert ppf.find("ram:GlobalID", NS).get("schemeID") == "0238"


def test_a_212_names_the_invoice_its_date_type_and_the_status():
    root = parsed(message())

    assert texts(root, f"{INVOICE}/ram:IssuerAssignedID") == ["F-2026-0042"]
    assert texts(root, f"{INVOICE}/ram:TypeCode") == ["380"]
    issued = root.find(f"{INVOICE}/ram:FormattedIssueDateTime/qdt:DateTimeString", NS)
    assert (issued.text, issued.get("format")) == ("20260930", "102")
    assert texts(root, f"{INVOICE}/ram:ProcessConditionCode") == ["212"]
    assert texts(root, f"{INVOICE}/ram:ProcessCondition") == ["Encaissée"]
    assert texts(root, f"{INVOICE}/ram:StatusCode") == ["47"]
    assert texts(root, f"{INVOICE}/ram:IssuerTradeParty/ram:GlobalID") == [SELLER]
    assert texts(root, f"{INVOICE}/ram:IssuerTradeParty/ram:RoleCode") == ["SE"]
    assert texts(root, f"{STATUS}/ram:ReferenceDateTime/udt:DateTimeString") == ["20261015"]
    assert texts(root, f"{STATUS}/ram:SequenceNumeric") == ["1"]


def test_a_212_states_the_amount_collected_at_each_vat_rate():
    root = parsed(message())

    characteristics = root.findall(f"{STATUS}/ram:SpecifiedDocumentCharacteristic", NS)
    assert [
        (
            item.findtext("ram:TypeCode", namespaces=NS),
            item.findtext("ram:ValueAmount", namespaces=NS),
            item.find("ram:ValueAmount", NS).get("currencyID"),
            item.findtext("ram:ValuePercent", namespaces=NS),
        )
        for item in characteristics
    ] == [
        ("MEN", "399.99", "EUR", "20.00"),
        ("MEN", "36.67", "EUR", "10.00"),
        ("MEN", "35.17", "EUR", "5.50"),
    ]
    assert root.find(f"{STATUS}/ram:IncludedNote", NS) is None


def test_a_correction_states_the_opposite_amounts_and_names_the_212_it_corrects():
    root = parsed(
        message(
            reference="ENC-12-C",
            amount=D("-471.83"),
            amounts_by_rate=(
                (D("20.00"), D("-399.99")),
                (D("10.00"), D("-36.67")),
                (D("5.50"), D("-35.17")),
            ),
            corrects="ENC-12",
        )
    )

    assert texts(root, "rsm:ExchangedDocument/ram:ID") == ["ENC-12-C"]
    assert texts(root, f"{STATUS}/ram:SpecifiedDocumentCharacteristic/ram:ValueAmount") == [
        "-399.99",
        "-36.67",
        "-35.17",
    ]
    assert texts(root, f"{STATUS}/ram:IncludedNote/ram:Content") == ["ENC-12"]
    assert texts(root, f"{INVOICE}/ram:ProcessConditionCode") == ["212"]


def test_a_credit_note_is_named_with_its_own_type_code():
    root = parsed(message(invoice_type_code="381"))

    assert texts(root, f"{INVOICE}/ram:TypeCode") == ["381"]


def test_the_same_message_is_always_the_same_bytes():
    assert status_message_xml(message()) == status_message_xml(message())


def test_only_a_212_is_produced():
    with pytest.raises(ValueError, match="not produced here"):
        status_message_xml(message(code="209", amounts_by_rate=()))
