"""The FEC (fichier des écritures comptables) of a period, as the French tax administration
asks for it (Livre des procédures fiscales, art. A47 A-1; BOI-CF-IOR-60-40-20): a flat
file, one line per entry line, the 18 fields below in this order after a header line
naming them, fields separated by a tab, records by CR LF, dates AAAAMMJJ, amounts with a
comma as the decimal separator, the characters of ISO 8859-15, and the file named
`<SIREN>FEC<AAAAMMJJ of the closing date>.txt`. See docs/accounting.md for the sources.
"""

import unicodedata

from accounting.selectors import check_balanced, journal_entries

FIELDS = [
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "EcritureLet",
    "DateLet",
    "ValidDate",
    "Montantdevise",
    "Idevise",
]
SEPARATOR = "\t"
RECORD_END = "\r\n"
ENCODING = "iso8859_15"


def fec_filename(*, siren, closing_date):
    return f"{siren}FEC{closing_date:%Y%m%d}.txt"


def _day(value):
    return f"{value:%Y%m%d}" if value else ""


def _amount(value):
    return f"{value:.2f}".replace(".", ",")


def _text(value):
    """A field's text on one line, without the separator: tabs, line breaks and pipes
    become spaces, runs of spaces one."""
    cleaned = "".join(" " if char in "\t\r\n|" else char for char in str(value or ""))
    return " ".join(cleaned.split())


def _latin9(text):
    """The text in ISO 8859-15; a character outside it loses its accent, or becomes '?'."""
    out = []
    for char in text:
        try:
            char.encode(ENCODING)
        except UnicodeEncodeError:
            base = unicodedata.normalize("NFKD", char).encode(ENCODING, "ignore").decode(ENCODING)
            char = base or "?"
        out.append(char)
    return "".join(out)


def fec_rows(entries):
    """The 18 fields of each line of each entry, as text. The entry is validated when it is
    recorded (an issued invoice is final), so ValidDate is the entry's date."""
    for entry in entries:
        for line in entry.lines:
            yield [
                _text(entry.journal),
                _text(entry.journal_label),
                _text(entry.number),
                _day(entry.date),
                _text(line.account),
                _text(line.account_label),
                _text(line.aux_account),
                _text(line.aux_label),
                _text(entry.piece_ref),
                _day(entry.piece_date),
                _text(line.label),
                _amount(line.debit),
                _amount(line.credit),
                _text(line.lettering),
                _day(line.lettering_date),
                _day(entry.date),
                "",
                "",
            ]


def fec_text(entries):
    """The file's text; refuses unbalanced entries (nothing is written)."""
    check_balanced(entries)
    rows = [FIELDS, *fec_rows(entries)]
    return "".join(SEPARATOR.join(row) + RECORD_END for row in rows)


def fec_bytes(entries):
    return _latin9(fec_text(entries)).encode(ENCODING)


def fec_export(*, tenant, date_from, date_to):
    """(file name, content) of the company's FEC for the period; the period's last day is
    the closing date in the name."""
    entries = journal_entries(tenant=tenant, date_from=date_from, date_to=date_to)
    return fec_filename(siren=tenant.siren, closing_date=date_to), fec_bytes(entries)
