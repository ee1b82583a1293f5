"""Bank statement files (a bank's CSV export, or ISO 20022 CAMT.053) read into plain data.

This module knows nothing of the database: it turns the bytes of a file into a
`ParsedStatement`, or raises `StatementFormatError` naming the line (CSV) or the entry
(CAMT.053) that is wrong. It is all or nothing: no partial result is ever returned.
Amounts are Decimal with two places, signed (positive = money received), never float.
The CSV layout is documented in docs/bank-statement-csv.md.
"""

import codecs
import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring
from django.utils.translation import gettext as _

CENT = Decimal("0.01")
# BankLine.amount is a DecimalField(max_digits=12, decimal_places=2).
MAX_AMOUNT = Decimal("9999999999.99")
DEFAULT_CURRENCY = "EUR"

CAMT053_NAMESPACE_PREFIX = "urn:iso:std:iso:20022:tech:xsd:camt.053.001."
CAMT053_VERSIONS = range(2, 14)  # camt.053.001.02 to camt.053.001.13
NOT_PROVIDED = "NOTPROVIDED"
BOOKED = "BOOK"


@dataclass(frozen=True)
class StatementLine:
    """One movement of the statement.

    `line_number` is the CSV line in the file (the header is line 1), or the position of the
    CAMT.053 <Ntry> in the file (1-based). `amount` is signed: positive is money received
    (a credit), negative a debit. `counterparty` is the payer of a credit (the payee of a
    debit), `remittance` the transfer's label, `bank_reference` the bank's own reference of
    the entry; each is "" when the file does not give it.
    """

    line_number: int
    booking_date: date
    amount: Decimal
    currency: str
    counterparty: str
    remittance: str
    bank_reference: str


@dataclass(frozen=True)
class ParsedStatement:
    """A whole statement: `format` is "csv" or "camt053"; `statement_id` and `account_iban`
    are given by CAMT.053 only ("" for CSV)."""

    format: str
    statement_id: str
    account_iban: str
    lines: tuple[StatementLine, ...]


class StatementFormatError(ValueError):
    """The file cannot be read; the message names the line (or entry) and what is wrong, in
    the user's language. `line_number` is the CSV line or the CAMT.053 entry, if any."""

    def __init__(self, message, *, line_number=None):
        super().__init__(message)
        self.message = message
        self.line_number = line_number


class _BadValue(Exception):
    """A cell or element is wrong; the caller adds the line or entry number."""

    def __init__(self, problem):
        super().__init__(problem)
        self.problem = problem


def _line_error(number, problem):
    return StatementFormatError(
        _("Line %(number)s: %(problem)s.") % {"number": number, "problem": problem},
        line_number=number,
    )


def _entry_error(number, problem):
    return StatementFormatError(
        _("Entry %(number)s: %(problem)s.") % {"number": number, "problem": problem},
        line_number=number,
    )


# --- values shared by both formats ---------------------------------------------------------

_SIGNS = {"+": 1, "-": -1, "\u2212": -1}  # U+2212 MINUS SIGN, as some spreadsheets write it
_SPACES = " \u00a0\u202f"  # space, no-break space, narrow no-break space
_DIGITS = re.compile(r"[0-9]+")
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_FRENCH_DATE = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")
_CURRENCY = re.compile(r"[A-Z]{3}")


def _grouped(integer_part, separators):
    """Whether `integer_part` is digits, or digits grouped by three with one of `separators`
    used throughout (1 234 567, 1.234.567)."""
    if _DIGITS.fullmatch(integer_part):
        return True
    for separator in separators:
        groups = integer_part.split(separator)
        if (
            len(groups) > 1
            and 1 <= len(groups[0]) <= 3
            and all(_DIGITS.fullmatch(group) for group in groups)
            and all(len(group) == 3 for group in groups[1:])
        ):
            return True
    return False


def _to_cents(value, raw):
    """`value` as two places, once it is known to have no more (money is never rounded)."""
    # Checked first: quantize() cannot hold more than 28 digits.
    if abs(value) > MAX_AMOUNT:
        raise _BadValue(_("the amount '%(value)s' is too large") % {"value": raw})
    if value != value.quantize(CENT):
        raise _BadValue(_("the amount '%(value)s' has more than two decimals") % {"value": raw})
    # Decimal("-0.00") would otherwise keep its sign.
    return value.quantize(CENT) if value else Decimal("0.00")


def _csv_amount(raw):
    """A CSV amount: optional sign, decimal comma or point, at most two decimals, thousands
    grouped by a space (also no-break or narrow no-break), or by '.' when the decimal mark is
    ','. 1 234,56 / 1.234,56 / -1234.5 / +12 are amounts; 12,3,4 / 1,234.56 / 1.234 are not
    (the last has three decimals)."""
    text = raw.strip()
    if not text:
        raise _BadValue(_("the amount is missing"))
    sign = 1
    if text[0] in _SIGNS:
        sign, text = _SIGNS[text[0]], text[1:]
    if "," in text:
        integer_part, _mark, fraction = text.rpartition(",")
        separators = _SPACES + "."
    elif "." in text:
        integer_part, _mark, fraction = text.rpartition(".")
        separators = _SPACES
    else:
        integer_part, _mark, fraction = text, "", ""
        separators = _SPACES
    if not _grouped(integer_part, separators) or (_mark and not _DIGITS.fullmatch(fraction)):
        raise _BadValue(_("the amount '%(value)s' is not a number") % {"value": raw.strip()})
    if len(fraction) > 2:
        raise _BadValue(
            _("the amount '%(value)s' has more than two decimals") % {"value": raw.strip()}
        )
    for separator in separators:
        integer_part = integer_part.replace(separator, "")
    value = Decimal(f"{integer_part}.{fraction or '0'}")
    return _to_cents(sign * value, raw.strip())


def _date(raw, *, french):
    """A date as YYYY-MM-DD, or (CSV only) DD/MM/YYYY."""
    text = raw.strip()
    if not text:
        raise _BadValue(_("the date is missing"))
    try:
        if match := _ISO_DATE.fullmatch(text):
            year, month, day = match.groups()
            return date(int(year), int(month), int(day))
        if french and (match := _FRENCH_DATE.fullmatch(text)):
            day, month, year = match.groups()
            return date(int(year), int(month), int(day))
    except ValueError:
        pass  # 31/02/2026: the shape is right, the day does not exist
    if french:
        problem = _("the date '%(value)s' is not a date (DD/MM/YYYY or YYYY-MM-DD)")
    else:
        problem = _("the date '%(value)s' is not a date (YYYY-MM-DD)")
    raise _BadValue(problem % {"value": text})


def _currency(raw):
    """An ISO 4217 code (EUR, CHF…), upper-cased; '€' is taken for EUR."""
    text = raw.strip().upper()
    if text == "€":
        return DEFAULT_CURRENCY
    if not _CURRENCY.fullmatch(text):
        raise _BadValue(
            _("the currency '%(value)s' is not an ISO 4217 code such as EUR") % {"value": raw}
        )
    return text


def _words(text):
    """`text` with its runs of spaces and line breaks made single spaces."""
    return " ".join((text or "").split())


# --- CSV -----------------------------------------------------------------------------------

# Header names are compared as `_header_key` gives them: lower case, no accents.
CSV_COLUMNS = {
    "date": ("date", "date operation", "booking date"),
    "amount": ("amount", "montant"),
    "credit": ("credit",),
    "debit": ("debit",),
    "currency": ("currency", "devise"),
    "counterparty": ("counterparty", "tiers", "emetteur", "payer"),
    "remittance": ("remittance", "libelle", "label"),
    "reference": ("reference", "reference bancaire"),
}
_CSV_ALIASES = {alias: column for column, aliases in CSV_COLUMNS.items() for alias in aliases}
# Preferred first when two separators find as many known columns in the header.
CSV_SEPARATORS = (";", "\t", ",")


_UNIT = re.compile(r"(?:\s+|\s*\()(?:eur|euros|€)\)?$")


def _header_key(name):
    """'Date opération', 'DATE_OPERATION' → 'date operation'; 'Débit euros', 'Montant (€)'
    → 'debit', 'montant': a unit after the name is left out."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    key = " ".join(re.sub(r"[_\-]", " ", plain).lower().split())
    return _UNIT.sub("", key)


def _decode(content):
    """UTF-8 (with or without a BOM), else Windows-1252 as French banks export it, else
    latin-1 (which reads any bytes)."""
    if content.startswith(codecs.BOM_UTF8):
        content = content[len(codecs.BOM_UTF8) :]
    for encoding in ("utf-8", "cp1252"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    return content.decode("latin-1")


def _sniff_separator(header_line):
    """The separator that finds the most known column names in the header line."""

    def known(separator):
        cells = next(csv.reader([header_line], delimiter=separator), [])
        return sum(_header_key(cell) in _CSV_ALIASES for cell in cells)

    return max(CSV_SEPARATORS, key=known)


def _csv_rows(text, separator):
    """(line number where the row starts, cells) for each row; blank rows are left out."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, strict=True)
    start = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise _line_error(start, _("the line cannot be read: check its quotes")) from error
        if any(cell.strip() for cell in cells):
            yield start, cells
        start = reader.line_num + 1


def _csv_columns(header, line_number):
    """Where each known column is in the header: {'date': 0, 'amount': 3, …}.

    `date` is required, and either `amount` or both `credit` and `debit`; other known
    columns are optional and unknown ones are ignored."""
    positions = {}
    for position, cell in enumerate(header):
        column = _CSV_ALIASES.get(_header_key(cell))
        if column is None:
            continue
        if column in positions:
            raise _line_error(
                line_number, _("the column '%(column)s' appears twice") % {"column": cell.strip()}
            )
        positions[column] = position
    if "date" not in positions:
        raise _line_error(line_number, _("the column '%(column)s' is missing") % {"column": "date"})
    credit_debit = {"credit", "debit"} & positions.keys()
    if "amount" in positions and credit_debit:
        raise _line_error(
            line_number,
            _("the header has both an 'amount' column and 'credit'/'debit' columns; keep one"),
        )
    if "amount" not in positions:
        if not credit_debit:
            raise _line_error(
                line_number,
                _("the column 'amount' is missing (or the two columns 'credit' and 'debit')"),
            )
        for column in ("credit", "debit"):
            if column not in positions:
                raise _line_error(
                    line_number,
                    _("the column '%(column)s' is missing: 'credit' and 'debit' go together")
                    % {"column": column},
                )
    return positions


def _csv_signed_amount(cell):
    """The line's amount: the `amount` column as signed, or whichever of `credit` (money
    received) and `debit` (money paid, written with or without a minus sign) is filled."""
    if "amount" in cell:
        return _csv_amount(cell("amount"))
    credit = _csv_amount(cell("credit")) if cell("credit") else None
    debit = _csv_amount(cell("debit")) if cell("debit") else None
    if credit is None and debit is None:
        raise _BadValue(_("neither the credit nor the debit is filled in"))
    # Some banks write 0,00 in the column that does not apply: that one is not "filled".
    if credit and debit:
        raise _BadValue(_("both the credit and the debit are filled in"))
    if credit:
        if credit < 0:
            raise _BadValue(_("the credit '%(value)s' is negative") % {"value": cell("credit")})
        return credit
    if debit:
        return -abs(debit)
    return Decimal("0.00")


class _Cells:
    """The cells of one CSV row, by column name ('' for an absent optional column)."""

    def __init__(self, cells, positions):
        self._cells = cells
        self._positions = positions

    def __contains__(self, column):
        return column in self._positions

    def __call__(self, column):
        position = self._positions.get(column)
        if position is None or position >= len(self._cells):
            return ""
        return self._cells[position].strip()


def parse_csv(content: bytes) -> ParsedStatement:
    """A bank's CSV export, laid out as docs/bank-statement-csv.md says.

    The first non-blank line is the header; each line after it is one movement, numbered
    by its line in the file (the header is line 1). Blank lines are skipped. A line with
    more cells than the header is refused (an amount such as 12,50 left unquoted in a
    comma-separated file would otherwise be read as two cells).
    """
    if content.lstrip().startswith(b"%PDF") or b"\x00" in content:
        raise StatementFormatError(
            _(
                "The file is not a text file (an Excel or PDF file?): export the statement "
                "as CSV or CAMT.053."
            )
        )
    text = _decode(content)
    if not text.strip():
        raise StatementFormatError(_("The file is empty: there is no line to import."))
    header_line = next(line for line in text.splitlines() if line.strip())
    rows = _csv_rows(text, _sniff_separator(header_line))
    first = next(rows, None)
    if first is None:
        raise StatementFormatError(_("The file is empty: there is no line to import."))
    header_number, header = first
    positions = _csv_columns(header, header_number)
    lines = []
    for number, cells in rows:
        # Some banks end every line but the header with a separator: blank extra cells pass.
        if any(extra.strip() for extra in cells[len(header) :]):
            raise _line_error(
                number,
                _(
                    "the line has %(count)s cells but the header has %(expected)s "
                    "(is a value holding the separator not quoted?)"
                )
                % {"count": len(cells), "expected": len(header)},
            )
        cell = _Cells(cells, positions)
        try:
            lines.append(
                StatementLine(
                    line_number=number,
                    booking_date=_date(cell("date"), french=True),
                    amount=_csv_signed_amount(cell),
                    currency=_currency(cell("currency")) if cell("currency") else DEFAULT_CURRENCY,
                    counterparty=_words(cell("counterparty")),
                    remittance=_words(cell("remittance")),
                    bank_reference=_words(cell("reference")),
                )
            )
        except _BadValue as bad:
            raise _line_error(number, bad.problem) from None
    if not lines:
        raise StatementFormatError(_("The file has a header but no line to import."))
    return ParsedStatement(format="csv", statement_id="", account_iban="", lines=tuple(lines))


# --- CAMT.053 ------------------------------------------------------------------------------

_CAMT_AMOUNT = re.compile(r"[0-9]+(\.[0-9]+)?")


def _camt_namespace(root):
    """The camt.053 namespace of the document, or StatementFormatError for any other XML."""
    namespace, _brace, local_name = root.tag[1:].rpartition("}")
    version = namespace.removeprefix(CAMT053_NAMESPACE_PREFIX)
    if (
        not root.tag.startswith("{")
        or not namespace.startswith(CAMT053_NAMESPACE_PREFIX)
        or local_name != "Document"
    ):
        raise StatementFormatError(
            _("The file is not a CAMT.053 bank statement (its XML is '%(root)s').")
            % {"root": root.tag}
        )
    if not (version.isdigit() and int(version) in CAMT053_VERSIONS):
        raise StatementFormatError(
            _("The CAMT.053 version '%(version)s' is not supported (001.02 to 001.13 are).")
            % {"version": f"001.{version}"}
        )
    return namespace


def _text_at(element, path, ns):
    found = element.find(path, ns)
    return _words(found.text) if found is not None else ""


def _texts_at(element, path, ns):
    return [text for found in element.findall(path, ns) if (text := _words(found.text))]


def _booked(entry, ns):
    """Whether the entry is booked: Ntry/Sts is BOOK in camt.053.001.02 to .07, Ntry/Sts/Cd
    is BOOK from .08 on. Pending (PDNG), information (INFO) or a proprietary status
    (Sts/Prtry) are not booked."""
    status = entry.find("Sts", ns)
    if status is None:
        raise _BadValue(_("the status (Sts) is missing"))
    code = status.find("Cd", ns)
    return _words(code.text if code is not None else status.text) == BOOKED


def _entry_amount(entry, ns):
    """Ntry/Amt, signed by Ntry/CdtDbtInd (CRDT +, DBIT −), and Ntry/Amt/@Ccy."""
    amount = entry.find("Amt", ns)
    if amount is None:
        raise _BadValue(_("the amount (Amt) is missing"))
    raw = _words(amount.text)
    if not raw:
        raise _BadValue(_("the amount is missing"))
    if not _CAMT_AMOUNT.fullmatch(raw):
        raise _BadValue(_("the amount '%(value)s' is not a number") % {"value": raw})
    # The schema allows five decimals; 12.500 is still a whole number of cents.
    value = _to_cents(Decimal(raw), raw)
    indicator = _text_at(entry, "CdtDbtInd", ns)
    if indicator not in ("CRDT", "DBIT"):
        raise _BadValue(
            _("the credit/debit indicator (CdtDbtInd) '%(value)s' is neither CRDT nor DBIT")
            % {"value": indicator}
        )
    if not amount.get("Ccy"):
        raise _BadValue(_("the currency (Amt/@Ccy) is missing"))
    currency = _currency(amount.get("Ccy"))
    return (value if indicator == "CRDT" else -value), currency, indicator


def _entry_date(entry, ns):
    """Ntry/BookgDt/Dt or Ntry/BookgDt/DtTm (its date part), else Ntry/ValDt likewise."""
    for path in ("BookgDt/Dt", "BookgDt/DtTm", "ValDt/Dt", "ValDt/DtTm"):
        text = _text_at(entry, path, ns)
        if text:
            # xs:date and xs:dateTime may carry a time and a time zone after the date.
            return _date(text[:10] if _ISO_DATE.match(text) else text, french=False)
    raise _BadValue(_("the booking date (BookgDt) and the value date (ValDt) are missing"))


def _entry_remittance(entry, ns):
    """NtryDtls/TxDtls/RmtInf/Ustrd, then RmtInf/Strd/CdtrRefInf/Ref and
    RmtInf/Strd/RfrdDocInf/Nb (an invoice number), all joined with a space; if the entry
    has none, Ntry/AddtlNtryInf, where French banks also put the transfer's label."""
    texts = []
    for details in entry.findall("NtryDtls/TxDtls", ns):
        texts += _texts_at(details, "RmtInf/Ustrd", ns)
        texts += _texts_at(details, "RmtInf/Strd/CdtrRefInf/Ref", ns)
        texts += _texts_at(details, "RmtInf/Strd/RfrdDocInf/Nb", ns)
    return " ".join(texts) or _text_at(entry, "AddtlNtryInf", ns)


def _entry_counterparty(entry, ns, indicator):
    """For a credit, the payer: TxDtls/RltdPties/Dbtr/Nm (Dbtr/Pty/Nm from .08 on); for a
    debit, the payee: RltdPties/Cdtr/Nm (Cdtr/Pty/Nm). Several payers are joined by ', '."""
    party = "Dbtr" if indicator == "CRDT" else "Cdtr"
    names = []
    for details in entry.findall("NtryDtls/TxDtls", ns):
        name = _text_at(details, f"RltdPties/{party}/Nm", ns) or _text_at(
            details, f"RltdPties/{party}/Pty/Nm", ns
        )
        if name and name not in names:
            names.append(name)
    return ", ".join(names)


def _entry_reference(entry, ns):
    """Ntry/AcctSvcrRef; else, for an entry of one transaction, its TxDtls/Refs/AcctSvcrRef,
    else its TxDtls/Refs/EndToEndId unless NOTPROVIDED."""
    reference = _text_at(entry, "AcctSvcrRef", ns)
    if reference:
        return reference
    transactions = entry.findall("NtryDtls/TxDtls", ns)
    # A batch's first transaction does not identify the entry.
    if len(transactions) != 1:
        return ""
    reference = _text_at(transactions[0], "Refs/AcctSvcrRef", ns)
    if reference:
        return reference
    end_to_end = _text_at(transactions[0], "Refs/EndToEndId", ns)
    return "" if end_to_end.upper() == NOT_PROVIDED else end_to_end


def _statement_iban(statements, ns):
    """The Stmt/Acct/Id/IBAN all the statements share, else ''."""
    ibans = {
        _text_at(statement, "Acct/Id/IBAN", ns).replace(" ", "").upper() for statement in statements
    }
    return ibans.pop() if len(ibans) == 1 else ""


def parse_camt053(content: bytes) -> ParsedStatement:
    """An ISO 20022 bank-to-customer statement, camt.053.001.02 to camt.053.001.13.

    The document must be Document/BkToCstmrStmt; it holds one or more Stmt. Every Stmt/Ntry
    is numbered by its position in the file (1-based, across the statements, counting the
    entries left out); only booked entries (Sts BOOK) are lines. `statement_id` is Stmt/Id,
    or GrpHdr/MsgId when the file holds several statements; `account_iban` is
    Stmt/Acct/Id/IBAN when all statements are of the same account.
    """
    # Some exports put a line break before the XML declaration, which XML does not allow.
    content = content.removeprefix(codecs.BOM_UTF8).lstrip()
    try:
        # No DTD, no entities, no external references: a statement never needs them.
        root = fromstring(content, forbid_dtd=True)
    except ParseError as error:
        line, column = getattr(error, "position", ("?", "?"))
        raise StatementFormatError(
            _("The file is not well-formed XML (line %(line)s, column %(column)s).")
            % {"line": line, "column": column}
        ) from None
    except DefusedXmlException as error:
        raise StatementFormatError(
            _(
                "The file is refused: it declares a DTD or XML entities, which a bank "
                "statement never does."
            )
        ) from error
    except (ValueError, LookupError) as error:  # e.g. an unknown encoding in the declaration
        raise StatementFormatError(_("The file is not well-formed XML.")) from error
    namespace = _camt_namespace(root)
    ns = {"": namespace}
    message = root.find("BkToCstmrStmt", ns)
    if message is None:
        raise StatementFormatError(
            _("The file is not a CAMT.053 bank statement (its XML is '%(root)s').")
            % {"root": root.tag}
        )
    statements = message.findall("Stmt", ns)
    lines = []
    number = 0
    for statement in statements:
        for entry in statement.findall("Ntry", ns):
            number += 1
            try:
                if not _booked(entry, ns):
                    continue
                amount, currency, indicator = _entry_amount(entry, ns)
                lines.append(
                    StatementLine(
                        line_number=number,
                        booking_date=_entry_date(entry, ns),
                        amount=amount,
                        currency=currency,
                        counterparty=_entry_counterparty(entry, ns, indicator),
                        remittance=_entry_remittance(entry, ns),
                        bank_reference=_entry_reference(entry, ns),
                    )
                )
            except _BadValue as bad:
                raise _entry_error(number, bad.problem) from None
    if not lines:
        raise StatementFormatError(_("The statement has no booked entry: no line to import."))
    if len(statements) == 1:
        statement_id = _text_at(statements[0], "Id", ns)
    else:
        statement_id = _text_at(message, "GrpHdr/MsgId", ns)
    return ParsedStatement(
        format="camt053",
        statement_id=statement_id,
        account_iban=_statement_iban(statements, ns),
        lines=tuple(lines),
    )


# --- either --------------------------------------------------------------------------------


def parse_statement(content: bytes, filename: str) -> ParsedStatement:
    """CAMT.053 when the content is XML (its root and namespace are then checked) or the file
    is named *.xml; CSV otherwise."""
    start = content.removeprefix(codecs.BOM_UTF8).lstrip()
    if start.startswith(b"<") or (filename or "").lower().endswith(".xml"):
        return parse_camt053(content)
    return parse_csv(content)
