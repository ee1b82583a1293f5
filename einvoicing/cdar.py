"""The seller's lifecycle status as the platforms exchange it: a CDAR D22B message
(UN/CEFACT Cross Domain Acknowledgement and Response), the "CDV" of the DGFiP external
specifications (flux 6), as AFNOR XP Z12-012 profiles it.

One message per status: 212 Encaissée, with the amount collected at each VAT rate, or its
correction (the same 212 with the opposite amounts, naming the message it corrects). The
structure follows the D22B schema; the values follow the French rules (BR-FR-CDV-*) and
the element numbers (MDT-*) of XP Z12-012:

    ExchangedDocumentContext
        BusinessProcess…/ID           MDT-2   "REGULATED" (a domestic B2B invoice)
        Guideline…/ID                 MDT-3   "urn.cpro.gouv.fr:1p0:CDV:invoice"
    ExchangedDocument
        ID                            MDT-4   our reference (the flow's tracking id)
        IssueDateTime                 MDG-4   when the message was made (format 205)
        SenderTradeParty              MDG-9   the seller, SIREN (scheme 0002), role SE (MDT-21)
        IssuerTradeParty                      the seller, SIREN (MDT-38), role SE (MDT-40)
        RecipientTradeParty                   the buyer, SIREN, role BY (MDT-59), and its
                                              electronic address (MDT-73, with its scheme);
                                              the PPF, 0000 under scheme 0238, role DFH
    AcknowledgementDocument
        TypeCode                      MDT-77  "23": a status of the processing phase
        IssueDateTime                         as above
        ReferenceReferencedDocument           the invoice
            IssuerAssignedID          MDT-87  its number (BT-1)
            StatusCode                MDT-88  "47" (UNTDID 1373: paid / cashed)
            TypeCode                  MDT-91  its type (380, 381, ...)
            FormattedIssueDateTime    MDG-35  its issue date (format 102)
            ProcessConditionCode      MDT-105 "212"
            ProcessCondition                  "Encaissée"
            IssuerTradeParty                  the seller, SIREN (MDT-129), role SE (MDT-132)
            RecipientTradeParty               the buyer, SIREN, role BY (MDT-158)
            SpecifiedDocumentStatus   MDG-37
                ReferenceDateTime             the day collected (format 102)
                SequenceNumeric       MDT-124-2  1
                IncludedNote                  a correction only: the ID (MDT-4) of the 212
                                              it corrects, subject AAI
                SpecifiedDocumentCharacteristic  MDG-43, one per VAT rate:
                    TypeCode          MDT-207 "MEN" (amount collected)
                    ValueAmount       MDT-215 the amount collected at that rate, with its
                                              currency
                    ValuePercent      MDT-224 the rate

Where the rules leave a choice, the choice is ours and marked so in docs/einvoicing.md: the
day collected as the status's reference date, the PPF among the recipients, the note a
correction carries.
"""

from zoneinfo import ZoneInfo

from lxml import etree

from einvoicing.connectors.base import STATUSES
from invoices.facturx import SIREN_SCHEME

RSM = "urn:un:unece:uncefact:data:standard:CrossDomainAcknowledgementAndResponse:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NAMESPACES = {"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT}

GUIDELINE = "urn.cpro.gouv.fr:1p0:CDV:invoice"
BUSINESS_PROCESS = "REGULATED"
PROCESSING_PHASE = "23"
# UNTDID 1373 status of the referenced document, per lifecycle status (MDT-88).
DOCUMENT_STATUS = {"212": "47"}
AMOUNT_COLLECTED = "MEN"
PPF_SCHEME = "0238"
PPF_ID = "0000"
SELLER, BUYER, PPF = "SE", "BY", "DFH"
CORRECTED_NOTE_SUBJECT = "AAI"
DATE = "102"  # CCYYMMDD
MOMENT = "205"  # CCYYMMDDHHMMSS and the offset from UTC, ±HHMM
PARIS = ZoneInfo("Europe/Paris")


def _element(parent, tag, text=None, **attributes):
    prefix, name = tag.split(":")
    element = etree.SubElement(parent, f"{{{NAMESPACES[prefix]}}}{name}", attributes)
    if text is not None:
        element.text = text
    return element


def _moment(parent, tag, value):
    holder = _element(parent, tag)
    _element(
        holder, "udt:DateTimeString", f"{value.astimezone(PARIS):%Y%m%d%H%M%S%z}", format=MOMENT
    )


def _date(parent, tag, day, *, prefix="udt"):
    holder = _element(parent, tag)
    _element(holder, f"{prefix}:DateTimeString", f"{day:%Y%m%d}", format=DATE)


def _party(parent, tag, *, siren, role, name="", address="", scheme=""):
    party = _element(parent, tag)
    _element(party, "ram:GlobalID", siren, schemeID=SIREN_SCHEME)
    if name:
        _element(party, "ram:Name", name)
    _element(party, "ram:RoleCode", role)
    if address:
        communication = _element(party, "ram:URIUniversalCommunication")
        _element(communication, "ram:URIID", address, schemeID=scheme)
    return party


def _money(amount):
    return format(amount, "f")


def status_message_xml(message):
    """The CDAR D22B message of a seller's 212 (or its correction), as UTF-8 bytes: always
    the same bytes for the same message, so a message sent again is recognised."""
    if message.code not in DOCUMENT_STATUS:
        raise ValueError(f"a seller's status {message.code} is not produced here")
    root = etree.Element(f"{{{RSM}}}CrossDomainAcknowledgementAndResponse", nsmap=NAMESPACES)

    context = _element(root, "rsm:ExchangedDocumentContext")
    business = _element(context, "ram:BusinessProcessSpecifiedDocumentContextParameter")
    _element(business, "ram:ID", BUSINESS_PROCESS)
    guideline = _element(context, "ram:GuidelineSpecifiedDocumentContextParameter")
    _element(guideline, "ram:ID", GUIDELINE)

    document = _element(root, "rsm:ExchangedDocument")
    _element(document, "ram:ID", message.reference)
    _moment(document, "ram:IssueDateTime", message.issued_at)
    seller = {"siren": message.seller_siren, "role": SELLER, "name": message.seller_name}
    _party(document, "ram:SenderTradeParty", **seller)
    _party(document, "ram:IssuerTradeParty", **seller)
    _party(
        document,
        "ram:RecipientTradeParty",
        siren=message.buyer_siren,
        role=BUYER,
        name=message.buyer_name,
        address=message.buyer_address,
        scheme=message.buyer_address_scheme,
    )
    ppf = _element(document, "ram:RecipientTradeParty")
    _element(ppf, "ram:GlobalID", PPF_ID, schemeID=PPF_SCHEME)
    _element(ppf, "ram:RoleCode", PPF)

    acknowledgement = _element(root, "rsm:AcknowledgementDocument")
    _element(acknowledgement, "ram:TypeCode", PROCESSING_PHASE)
    _moment(acknowledgement, "ram:IssueDateTime", message.issued_at)
    invoice = _element(acknowledgement, "ram:ReferenceReferencedDocument")
    _element(invoice, "ram:IssuerAssignedID", message.invoice_number)
    _element(invoice, "ram:StatusCode", DOCUMENT_STATUS[message.code])
    _element(invoice, "ram:TypeCode", message.invoice_type_code)
    _date(invoice, "ram:FormattedIssueDateTime", message.invoice_issue_date, prefix="qdt")
    _element(invoice, "ram:ProcessConditionCode", message.code)
    _element(invoice, "ram:ProcessCondition", STATUSES[message.code])
    _party(invoice, "ram:IssuerTradeParty", siren=message.seller_siren, role=SELLER)
    _party(invoice, "ram:RecipientTradeParty", siren=message.buyer_siren, role=BUYER)

    status = _element(invoice, "ram:SpecifiedDocumentStatus")
    _date(status, "ram:ReferenceDateTime", message.collected_on)
    _element(status, "ram:SequenceNumeric", "1")
    if message.corrects:
        note = _element(status, "ram:IncludedNote")
        _element(note, "ram:Content", message.corrects)
        _element(note, "ram:SubjectCode", CORRECTED_NOTE_SUBJECT)
    for rate, amount in message.amounts_by_rate:
        characteristic = _element(status, "ram:SpecifiedDocumentCharacteristic")
        _element(characteristic, "ram:TypeCode", AMOUNT_COLLECTED)
        _element(characteristic, "ram:ValueAmount", _money(amount), currencyID=message.currency)
        _element(characteristic, "ram:ValuePercent", _money(rate))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
