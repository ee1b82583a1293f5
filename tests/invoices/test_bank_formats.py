"""Bank statement files read into plain data: a French bank's CSV export and CAMT.053."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import translation

from invoices.bank_formats import (
    ParsedStatement,
    StatementFormatError,
    StatementLine,
    parse_camt053,
    parse_csv,
    parse_statement,
)

FIXTURES = Path(__file__).parent / "fixtures"
NBSP = "\u00a0"
NNBSP = "\u202f"


@pytest.fixture(autouse=True)
def _english():
    """The messages are checked in their English source; the site's language is French."""
    with translation.override("en"):
        yield


def fixture(name):
    return (FIXTURES / name).read_bytes()


def csv_bytes(*lines, encoding="utf-8"):
    return "\r\n".join(lines).encode(encoding)


def refused(parse, content, *, line_number=None):
    """The StatementFormatError raised, after checking it names `line_number`."""
    with pytest.raises(StatementFormatError) as caught:
        parse(content)
    assert caught.value.line_number == line_number
    return str(caught.value)


# --- CSV -----------------------------------------------------------------------------------


def test_french_bank_csv_export():
    """UTF-8 with a BOM, CRLF, ';', DD/MM/YYYY, decimal commas, spaces grouping thousands."""
    parsed = parse_csv(fixture("statement.csv"))

    assert parsed == ParsedStatement(
        format="csv",
        statement_id="",
        account_iban="",
        lines=(
            StatementLine(
                line_number=2,
                booking_date=date(2026, 3, 2),
                amount=Decimal("1800.00"),
                currency="EUR",
                counterparty="ACME CONSEIL SAS",
                remittance="VIR SEPA RECU /DE ACME CONSEIL /MOTIF FA-2026-000123",
                bank_reference="2026030200012345",
            ),
            StatementLine(
                line_number=3,
                booking_date=date(2026, 3, 3),
                amount=Decimal("12450.50"),
                currency="EUR",
                counterparty="DUPONT INGÉNIERIE SARL",
                remittance="VIR SEPA RECU /DE DUPONT INGÉNIERIE /MOTIF FA-2026-000124 "
                "ET FA-2026-000125",
                bank_reference="2026030300004567",
            ),
            StatementLine(
                line_number=4,
                booking_date=date(2026, 3, 4),
                amount=Decimal("-3250.00"),
                currency="EUR",
                counterparty="URSSAF ILE-DE-FRANCE",
                remittance="PRLV SEPA URSSAF ILE-DE-FRANCE COTISATIONS FÉVRIER",
                bank_reference="2026030400007788",
            ),
            StatementLine(
                line_number=5,
                booking_date=date(2026, 3, 5),
                amount=Decimal("-45.90"),
                currency="EUR",
                counterparty="",
                remittance="FRAIS TENUE DE COMPTE",
                bank_reference="",
            ),
            StatementLine(
                line_number=6,
                booking_date=date(2026, 3, 6),
                amount=Decimal("960.00"),
                currency="EUR",
                counterparty="Créa'Tech",
                remittance="VIR INST RECU /DE CRÉA'TECH /MOTIF FA2026000126",
                bank_reference="",
            ),
        ),
    )
    assert [line.amount.as_tuple().exponent for line in parsed.lines] == [-2] * 5


def test_windows_1252_export_with_credit_and_debit_columns():
    """Not UTF-8: read as Windows-1252 (Œ and — are not latin-1); 'Débit euros' and
    'Crédit euros' columns, a separator closing every line, '.' grouping thousands."""
    content = fixture("statement-latin1.csv")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")

    lines = parse_csv(content).lines

    assert [(line.line_number, line.booking_date, line.amount) for line in lines] == [
        (2, date(2026, 3, 10), Decimal("2400.00")),
        (3, date(2026, 3, 11), Decimal("-12.00")),
        (4, date(2026, 3, 12), Decimal("1250.00")),
    ]
    assert lines[0].counterparty == "SOCIÉTÉ HÉLÈNE & ASSOCIÉS"
    assert lines[2].counterparty == "LES ÉDITIONS DU CŒUR"
    assert (
        lines[2].remittance
        == "VIR SEPA RECU /DE LES ÉDITIONS DU CŒUR /MOTIF FA-2026-000128 — ACOMPTE"
    )
    assert [line.bank_reference for line in lines] == ["RB0310001", "RB0311002", "RB0312003"]
    assert {line.currency for line in lines} == {"EUR"}


def test_latin1_bytes():
    content = csv_bytes(
        "Date opération;Montant;Libellé;Émetteur",
        "05/03/2026;250,00;Règlement FA-2026-000130;Hélène Léger",
        encoding="latin-1",
    )

    (line,) = parse_csv(content).lines

    assert line.remittance == "Règlement FA-2026-000130"
    assert line.counterparty == "Hélène Léger"


@pytest.mark.parametrize(
    "content",
    [
        csv_bytes("date,amount,label", '2026-03-05,"1 800,00",FA-2026-000123'),
        csv_bytes("date,amount,label", "2026-03-05,1800.00,FA-2026-000123"),
        csv_bytes("date\tamount\tlabel", "2026-03-05\t1 800,00\tFA-2026-000123"),
        csv_bytes("date;amount;label", "2026-03-05;1800;FA-2026-000123"),
    ],
    ids=["comma-quoted", "comma-point", "tab", "semicolon"],
)
def test_separator_is_found_in_the_header(content):
    (line,) = parse_csv(content).lines

    assert (line.booking_date, line.amount, line.remittance) == (
        date(2026, 3, 5),
        Decimal("1800.00"),
        "FA-2026-000123",
    )


@pytest.mark.parametrize(
    ("header", "row"),
    [
        (
            "Date;Montant;Devise;Tiers;Libellé;Référence",
            "05/03/2026;1 200,00;eur;ACME;FA-2026-000123;REF1",
        ),
        (
            "DATE OPÉRATION;MONTANT (EUR);DEVISE;ÉMETTEUR;LIBELLE;REFERENCE BANCAIRE",
            "05/03/2026;1 200,00;EUR;ACME;FA-2026-000123;REF1",
        ),
        (
            "booking_date;Amount;currency;payer;label;reference",
            "2026-03-05;1200.00;EUR;ACME;FA-2026-000123;REF1",
        ),
        (
            "Référence;Libellé;Émetteur;Devise;Montant;Date opération;Solde",
            "REF1;FA-2026-000123;ACME;EUR;+1.200,00;05/03/2026;98 765,43",
        ),
        (
            " counterparty ; remittance ;  DATE ; amount € ",
            "ACME;FA-2026-000123;05/03/2026;1200",
        ),
    ],
)
def test_column_names_in_any_order_case_and_language(header, row):
    (line,) = parse_csv(csv_bytes(header, row)).lines

    assert (line.booking_date, line.amount, line.currency) == (
        date(2026, 3, 5),
        Decimal("1200.00"),
        "EUR",
    )
    assert (line.counterparty, line.remittance) == ("ACME", "FA-2026-000123")
    assert line.bank_reference in ("REF1", "")


def test_optional_columns_default():
    (line,) = parse_csv(csv_bytes("date;amount", "2026-03-05;10")).lines

    assert (line.currency, line.counterparty, line.remittance, line.bank_reference) == (
        "EUR",
        "",
        "",
        "",
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1 234,56", "1234.56"),
        (f"1{NBSP}234,56", "1234.56"),
        (f"1{NNBSP}234{NNBSP}567,89", "1234567.89"),
        ("1.234,56", "1234.56"),
        ("1.234.567,8", "1234567.80"),
        ("1234.56", "1234.56"),
        ("1 234.56", "1234.56"),
        ("-12,5", "-12.50"),
        ("+12", "12.00"),
        ("\u221212,30", "-12.30"),
        ("0,00", "0.00"),
        ("-0,00", "0.00"),
        ("  42,10  ", "42.10"),
        ("9999999999,99", "9999999999.99"),
    ],
)
def test_amounts(raw, expected):
    (line,) = parse_csv(csv_bytes("date;amount", f"05/03/2026;{raw}")).lines

    assert line.amount == Decimal(expected)
    assert str(line.amount) == expected


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("12,3,4", "the amount '12,3,4' is not a number"),
        ("1,234.56", "the amount '1,234.56' is not a number"),
        ("1.234.567", "the amount '1.234.567' is not a number"),
        ("12 34,00", "the amount '12 34,00' is not a number"),
        ("1 2345,00", "the amount '1 2345,00' is not a number"),
        ("12,", "the amount '12,' is not a number"),
        (",50", "the amount ',50' is not a number"),
        ("--5", "the amount '--5' is not a number"),
        ("12 €", "the amount '12 €' is not a number"),
        ("1e3", "the amount '1e3' is not a number"),
        ("douze", "the amount 'douze' is not a number"),
        ("12,345", "the amount '12,345' has more than two decimals"),
        ("1.234", "the amount '1.234' has more than two decimals"),
        ("0,001", "the amount '0,001' has more than two decimals"),
        ("10000000000,00", "the amount '10000000000,00' is too large"),
        ("", "the amount is missing"),
    ],
)
def test_bad_amount_names_its_line(raw, problem):
    content = csv_bytes(
        "date;amount;label", "05/03/2026;10,00;FA-2026-000123", f"06/03/2026;{raw};x"
    )

    message = refused(parse_csv, content, line_number=3)

    assert message == f"Line 3: {problem}."


def test_message_as_the_user_sees_it():
    lines = ["Date;Montant;Libellé"] + [
        f"0{day}/03/2026;100,00;FA-2026-00012{day}" for day in range(1, 6)
    ]
    content = csv_bytes(*lines, "06/03/2026;12,3,4;FA-2026-000126")

    assert (
        refused(parse_csv, content, line_number=7) == "Line 7: the amount '12,3,4' is not a number."
    )


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("31/02/2026", "the date '31/02/2026' is not a date (DD/MM/YYYY or YYYY-MM-DD)"),
        ("2026-13-01", "the date '2026-13-01' is not a date (DD/MM/YYYY or YYYY-MM-DD)"),
        ("05-03-2026", "the date '05-03-2026' is not a date (DD/MM/YYYY or YYYY-MM-DD)"),
        ("05/03/26", "the date '05/03/26' is not a date (DD/MM/YYYY or YYYY-MM-DD)"),
        ("2026/03/05", "the date '2026/03/05' is not a date (DD/MM/YYYY or YYYY-MM-DD)"),
        ("hier", "the date 'hier' is not a date (DD/MM/YYYY or YYYY-MM-DD)"),
        ("", "the date is missing"),
    ],
)
def test_bad_date_names_its_line(raw, problem):
    content = csv_bytes("date;amount", "05/03/2026;10,00", "06/03/2026;11,00", f"{raw};12,00")

    assert refused(parse_csv, content, line_number=4) == f"Line 4: {problem}."


def test_short_dates_are_read_day_first():
    (line,) = parse_csv(csv_bytes("date;amount", "5/3/2026;10,00")).lines

    assert line.booking_date == date(2026, 3, 5)


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        ("Libellé;Montant", "the column 'date' is missing"),
        (
            "Date;Libellé;Devise",
            "the column 'amount' is missing (or the two columns 'credit' and 'debit')",
        ),
        ("Date;Libellé;Crédit", "the column 'debit' is missing: 'credit' and 'debit' go together"),
        ("Date;Libellé;Débit", "the column 'credit' is missing: 'credit' and 'debit' go together"),
        (
            "Date;Montant;Débit;Crédit",
            "the header has both an 'amount' column and 'credit'/'debit' columns; keep one",
        ),
        ("Date;Montant;Amount", "the column 'Amount' appears twice"),
        ("Date;Libellé;Label;Montant", "the column 'Label' appears twice"),
    ],
)
def test_header_problems_name_line_1(header, problem):
    content = csv_bytes(header, "05/03/2026;x;10,00;1,00")

    assert refused(parse_csv, content, line_number=1) == f"Line 1: {problem}."


@pytest.mark.parametrize(
    "content",
    [b"", b"\xef\xbb\xbf", b"\r\n  \r\n", b";;;\r\n"],
    ids=["empty", "bom-only", "blank-lines", "empty-cells"],
)
def test_empty_file(content):
    assert refused(parse_csv, content) == "The file is empty: there is no line to import."


@pytest.mark.parametrize(
    "content",
    [
        csv_bytes("Date;Montant;Libellé"),
        csv_bytes("Date;Montant;Libellé", ""),
        csv_bytes("\ufeffDate;Montant;Libellé", "", ";;", ""),
    ],
)
def test_header_only(content):
    assert refused(parse_csv, content) == "The file has a header but no line to import."


@pytest.mark.parametrize(
    ("debit", "credit", "expected"),
    [
        ("", "100,00", "100.00"),
        ("45,90", "", "-45.90"),
        ("-45,90", "", "-45.90"),
        ("0,00", "100,00", "100.00"),
        ("45,90", "0,00", "-45.90"),
    ],
)
def test_credit_and_debit_columns(debit, credit, expected):
    content = csv_bytes("Date;Débit;Crédit", f"05/03/2026;{debit};{credit}")

    assert parse_csv(content).lines[0].amount == Decimal(expected)


@pytest.mark.parametrize(
    ("debit", "credit", "problem"),
    [
        ("45,90", "100,00", "both the credit and the debit are filled in"),
        ("", "", "neither the credit nor the debit is filled in"),
        ("", "-100,00", "the credit '-100,00' is negative"),
        ("", "100,001", "the amount '100,001' has more than two decimals"),
        ("4,5,9", "", "the amount '4,5,9' is not a number"),
    ],
)
def test_bad_credit_and_debit(debit, credit, problem):
    content = csv_bytes("Date;Débit;Crédit", "04/03/2026;;1,00", f"05/03/2026;{debit};{credit}")

    assert refused(parse_csv, content, line_number=3) == f"Line 3: {problem}."


@pytest.mark.parametrize(
    ("raw", "expected"), [("eur", "EUR"), (" CHF ", "CHF"), ("€", "EUR"), ("", "EUR")]
)
def test_currency(raw, expected):
    (line,) = parse_csv(csv_bytes("date;amount;devise", f"05/03/2026;1;{raw}")).lines

    assert line.currency == expected


@pytest.mark.parametrize("raw", ["EURO", "E", "12€", "€UR"])
def test_bad_currency(raw):
    content = csv_bytes("date;amount;devise", f"05/03/2026;1;{raw}")

    message = refused(parse_csv, content, line_number=2)

    assert message == f"Line 2: the currency '{raw}' is not an ISO 4217 code such as EUR."


def test_blank_lines_keep_the_file_line_numbers():
    content = csv_bytes("date;amount", "", "05/03/2026;1", ";", "06/03/2026;2", "07/03/2026;x")

    assert refused(parse_csv, content, line_number=6).startswith("Line 6: ")
    assert [line.line_number for line in parse_csv(content.rpartition(b"\r\n")[0]).lines] == [3, 5]


def test_a_quoted_label_over_two_lines_keeps_the_numbering():
    content = csv_bytes(
        "date;amount;libellé",
        '05/03/2026;1;"VIR SEPA RECU',
        '/MOTIF FA-2026-000123"',
        "06/03/2026;2;FA-2026-000124",
        "07/03/2026;;FA-2026-000125",
    )

    assert refused(parse_csv, content, line_number=5) == "Line 5: the amount is missing."
    lines = parse_csv(content.rpartition(b"\r\n")[0]).lines
    assert [(line.line_number, line.remittance) for line in lines] == [
        (2, "VIR SEPA RECU /MOTIF FA-2026-000123"),
        (4, "FA-2026-000124"),
    ]


def test_an_unquoted_separator_in_a_value_is_refused():
    content = csv_bytes("date,amount,label", "2026-03-05,100,00,FA-2026-000123")

    message = refused(parse_csv, content, line_number=2)

    assert message.startswith("Line 2: the line has 4 cells but the header has 3")


def test_blank_cells_after_the_last_column_pass():
    (line,) = parse_csv(csv_bytes("date;amount", "05/03/2026;1;;")).lines

    assert line.amount == Decimal("1.00")


def test_short_row_reads_the_missing_cells_as_blank():
    content = csv_bytes("date;amount;label;reference", "05/03/2026;1;FA-2026-000123")

    (line,) = parse_csv(content).lines

    assert (line.remittance, line.bank_reference) == ("FA-2026-000123", "")


def test_an_unclosed_quote_names_the_line_it_opens():
    content = csv_bytes(
        "date;amount;label", "05/03/2026;1;ok", '06/03/2026;2;"FA-2026-000124', "07/03/2026;3;x"
    )

    message = refused(parse_csv, content, line_number=3)

    assert message == "Line 3: the line cannot be read: check its quotes."


@pytest.mark.parametrize(
    "content",
    [b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"],
    ids=["xlsx", "pdf"],
)
def test_a_binary_file_is_not_a_csv(content):
    message = refused(parse_csv, content)

    assert message.startswith("The file is not a text file")


def test_error_is_a_value_error_carrying_its_line():
    error = StatementFormatError("Line 4: wrong.", line_number=4)

    assert isinstance(error, ValueError)
    assert (str(error), error.line_number) == ("Line 4: wrong.", 4)
    assert StatementFormatError("The file is empty.").line_number is None


# --- CAMT.053 ------------------------------------------------------------------------------


def camt(entries, *, version="02", statements=None, message_id="MSG-1"):
    """A camt.053 document of one statement holding `entries` (XML text of <Ntry>s), or of
    `statements` given as (Stmt/Id, IBAN, entries) tuples."""
    statements = statements or [("STMT-1", "FR7630004000031234567890143", entries)]
    body = "".join(
        f"<Stmt><Id>{statement_id}</Id><CreDtTm>2026-03-04T06:00:00</CreDtTm>"
        f"<Acct><Id><IBAN>{iban}</IBAN></Id></Acct>{''.join(ntries)}</Stmt>"
        for statement_id, iban, ntries in statements
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version}">'
        f"<BkToCstmrStmt><GrpHdr><MsgId>{message_id}</MsgId>"
        f"<CreDtTm>2026-03-04T06:00:00</CreDtTm></GrpHdr>{body}</BkToCstmrStmt></Document>"
    ).encode()


def ntry(
    amount="100.00",
    *,
    indicator="CRDT",
    status="<Sts>BOOK</Sts>",
    dates="<BookgDt><Dt>2026-03-03</Dt></BookgDt>",
    amt=None,
    extra="",
    details="",
):
    amt = amt if amt is not None else f'<Amt Ccy="EUR">{amount}</Amt>'
    return f"<Ntry>{amt}<CdtDbtInd>{indicator}</CdtDbtInd>{status}{dates}{extra}{details}</Ntry>"


def test_camt053_001_02():
    parsed = parse_camt053(fixture("statement-camt053.xml"))

    assert (parsed.format, parsed.statement_id, parsed.account_iban) == (
        "camt053",
        "STMT-20260303-FR7630004000031234567890143",
        "FR7630004000031234567890143",
    )
    assert parsed.lines == (
        StatementLine(
            line_number=1,
            booking_date=date(2026, 3, 3),
            amount=Decimal("1800.00"),
            currency="EUR",
            counterparty="ACME CONSEIL SAS",
            remittance="REGLEMENT FACTURE FA-2026-000123 MISSION FEVRIER 2026",
            bank_reference="2026030300012345",
        ),
        StatementLine(
            line_number=2,
            booking_date=date(2026, 3, 3),
            amount=Decimal("4410.50"),
            currency="EUR",
            counterparty="DUPONT INGÉNIERIE SARL",
            remittance="FA-2026-000124",
            bank_reference="DUPI-20260303-0042",
        ),
        StatementLine(
            line_number=3,
            booking_date=date(2026, 3, 3),
            amount=Decimal("-3250.00"),
            currency="EUR",
            counterparty="URSSAF ILE-DE-FRANCE",
            remittance="COTISATIONS FEVRIER 2026",
            bank_reference="",
        ),
    )


def test_camt053_001_08_skips_the_pending_entry():
    """Sts/Cd, BookgDt/DtTm, RltdPties/Dbtr/Pty/Nm; entry 2 is pending (PDNG)."""
    parsed = parse_camt053(fixture("statement-camt053-v08.xml"))

    assert (parsed.statement_id, parsed.account_iban) == (
        "0310-FR1420041010050500013M02606",
        "FR1420041010050500013M02606",
    )
    assert parsed.lines == (
        StatementLine(
            line_number=1,
            booking_date=date(2026, 3, 10),
            amount=Decimal("2400.00"),
            currency="EUR",
            counterparty="SOCIÉTÉ HÉLÈNE & ASSOCIÉS",
            remittance="FA-2026-000127 HONORAIRES FEVRIER",
            bank_reference="SG26069000123",
        ),
        StatementLine(
            line_number=3,
            booking_date=date(2026, 3, 10),
            amount=Decimal("-120.80"),
            currency="EUR",
            counterparty="OVH SAS",
            remittance="FACTURE FR5123456 HEBERGEMENT MARS",
            bank_reference="SG26069000124",
        ),
    )


@pytest.mark.parametrize("version", ["02", "04", "08", "10", "13"])
def test_every_supported_version(version):
    status = "<Sts>BOOK</Sts>" if version < "08" else "<Sts><Cd>BOOK</Cd></Sts>"

    (line,) = parse_camt053(camt([ntry(status=status)], version=version)).lines

    assert line.amount == Decimal("100.00")


@pytest.mark.parametrize(
    "status",
    [
        "<Sts>PDNG</Sts>",
        "<Sts>INFO</Sts>",
        "<Sts><Cd>PDNG</Cd></Sts>",
        "<Sts><Prtry>BOOKED</Prtry></Sts>",
        "<Sts/>",
    ],
)
def test_only_booked_entries_are_lines(status):
    content = camt([ntry("1.00", status=status), ntry("2.00"), ntry("3.00", status=status)])

    (line,) = parse_camt053(content).lines

    assert (line.line_number, line.amount) == (2, Decimal("2.00"))


def test_no_booked_entry_is_no_line_to_import():
    content = camt([ntry(status="<Sts>PDNG</Sts>")])

    assert (
        refused(parse_camt053, content) == "The statement has no booked entry: no line to import."
    )
    assert (
        refused(parse_camt053, camt([])) == "The statement has no booked entry: no line to import."
    )


@pytest.mark.parametrize(
    ("dates", "expected"),
    [
        (
            "<BookgDt><Dt>2026-03-03</Dt></BookgDt><ValDt><Dt>2026-03-05</Dt></ValDt>",
            date(2026, 3, 3),
        ),
        ("<BookgDt><DtTm>2026-03-03T23:59:00+01:00</DtTm></BookgDt>", date(2026, 3, 3)),
        ("<ValDt><Dt>2026-03-05</Dt></ValDt>", date(2026, 3, 5)),
        ("<ValDt><DtTm>2026-03-06T08:00:00Z</DtTm></ValDt>", date(2026, 3, 6)),
        ("<BookgDt><Dt>2026-03-07+01:00</Dt></BookgDt>", date(2026, 3, 7)),
    ],
)
def test_booking_date_else_value_date(dates, expected):
    (line,) = parse_camt053(camt([ntry(dates=dates)])).lines

    assert line.booking_date == expected


@pytest.mark.parametrize(
    ("amount", "expected"),
    [("100", "100.00"), ("0.5", "0.50"), ("12.500", "12.50"), ("12.34000", "12.34")],
)
def test_camt_amounts(amount, expected):
    (line,) = parse_camt053(camt([ntry(amount)])).lines

    assert str(line.amount) == expected


def test_currency_comes_from_the_amount():
    (line,) = parse_camt053(camt([ntry(amt='<Amt Ccy="CHF">10.00</Amt>')])).lines

    assert line.currency == "CHF"


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        (ntry(amt=""), "the amount (Amt) is missing"),
        (ntry(amt='<Amt Ccy="EUR"/>'), "the amount is missing"),
        (ntry("12,50"), "the amount '12,50' is not a number"),
        (ntry("-12.50"), "the amount '-12.50' is not a number"),
        (ntry("1e3"), "the amount '1e3' is not a number"),
        (ntry("12.345"), "the amount '12.345' has more than two decimals"),
        (ntry("12345678901.00"), "the amount '12345678901.00' is too large"),
        (ntry(amt="<Amt>10.00</Amt>"), "the currency (Amt/@Ccy) is missing"),
        (
            ntry(amt='<Amt Ccy="EURO">10.00</Amt>'),
            "the currency 'EURO' is not an ISO 4217 code such as EUR",
        ),
        (
            ntry(indicator="CREDIT"),
            "the credit/debit indicator (CdtDbtInd) 'CREDIT' is neither CRDT nor DBIT",
        ),
        (ntry(dates=""), "the booking date (BookgDt) and the value date (ValDt) are missing"),
        (
            ntry(dates="<BookgDt><Dt>2026-02-30</Dt></BookgDt>"),
            "the date '2026-02-30' is not a date (YYYY-MM-DD)",
        ),
        (
            ntry(dates="<BookgDt><Dt>03/03/2026</Dt></BookgDt>"),
            "the date '03/03/2026' is not a date (YYYY-MM-DD)",
        ),
        (ntry(status=""), "the status (Sts) is missing"),
    ],
)
def test_bad_entry_names_its_number(entry, problem):
    content = camt([ntry(), ntry(status="<Sts>PDNG</Sts>"), entry, ntry()])

    assert refused(parse_camt053, content, line_number=3) == f"Entry 3: {problem}."


def test_remittance_counterparty_and_reference_of_a_batch():
    """Two transactions in one entry: texts and payers joined; no single reference."""
    details = (
        "<NtryDtls>"
        "<TxDtls><Refs><EndToEndId>E2E-1</EndToEndId></Refs>"
        "<RltdPties><Dbtr><Nm>ACME CONSEIL SAS</Nm></Dbtr></RltdPties>"
        "<RmtInf><Ustrd>FA-2026-000123</Ustrd></RmtInf></TxDtls>"
        "<TxDtls><Refs><EndToEndId>E2E-2</EndToEndId></Refs>"
        "<RltdPties><Dbtr><Nm>Dupont Ingénierie</Nm></Dbtr>"
        "<Cdtr><Nm>ALPHA PORTAGE</Nm></Cdtr></RltdPties>"
        "<RmtInf><Strd><RfrdDocInf><Nb>FA-2026-000124</Nb></RfrdDocInf>"
        "<CdtrRefInf><Ref>RF18FA2026000124</Ref></CdtrRefInf></Strd></RmtInf></TxDtls>"
        "</NtryDtls>"
    )

    (line,) = parse_camt053(camt([ntry(details=details)])).lines

    assert line.remittance == "FA-2026-000123 RF18FA2026000124 FA-2026-000124"
    assert line.counterparty == "ACME CONSEIL SAS, Dupont Ingénierie"
    assert line.bank_reference == ""


@pytest.mark.parametrize(
    ("extra", "refs", "expected"),
    [
        ("<AcctSvcrRef>BANK-1</AcctSvcrRef>", "<EndToEndId>E2E-1</EndToEndId>", "BANK-1"),
        ("", "<AcctSvcrRef>TX-BANK-1</AcctSvcrRef><EndToEndId>E2E-1</EndToEndId>", "TX-BANK-1"),
        ("", "<EndToEndId>E2E-1</EndToEndId>", "E2E-1"),
        ("", "<EndToEndId>NOTPROVIDED</EndToEndId>", ""),
        ("", "", ""),
    ],
)
def test_bank_reference(extra, refs, expected):
    details = f"<NtryDtls><TxDtls><Refs>{refs}</Refs></TxDtls></NtryDtls>"

    (line,) = parse_camt053(camt([ntry(extra=extra, details=details)])).lines

    assert line.bank_reference == expected


def test_debit_counterparty_is_the_creditor():
    details = (
        "<NtryDtls><TxDtls><RltdPties><Dbtr><Nm>ALPHA PORTAGE</Nm></Dbtr>"
        "<Cdtr><Nm>URSSAF</Nm></Cdtr></RltdPties></TxDtls></NtryDtls>"
    )

    (line,) = parse_camt053(camt([ntry(indicator="DBIT", details=details)])).lines

    assert (line.amount, line.counterparty) == (Decimal("-100.00"), "URSSAF")


def test_additional_entry_information_when_there_is_no_remittance():
    information = "<AddtlNtryInf>VIR SEPA RECU /DE ACME /MOTIF FA-2026-000123</AddtlNtryInf>"

    (line,) = parse_camt053(camt([ntry(details=information)])).lines

    assert (line.remittance, line.counterparty, line.bank_reference) == (
        "VIR SEPA RECU /DE ACME /MOTIF FA-2026-000123",
        "",
        "",
    )


def test_several_statements():
    """Entries are numbered across the file; the file is identified by its GrpHdr/MsgId."""
    iban = "FR7630004000031234567890143"
    content = camt(
        None,
        statements=[
            ("STMT-1", iban, [ntry("1.00"), ntry("2.00")]),
            ("STMT-2", iban, [ntry("3.00")]),
        ],
        message_id="MSG-42",
    )

    parsed = parse_camt053(content)

    assert [(line.line_number, line.amount) for line in parsed.lines] == [
        (1, Decimal("1.00")),
        (2, Decimal("2.00")),
        (3, Decimal("3.00")),
    ]
    assert (parsed.statement_id, parsed.account_iban) == ("MSG-42", iban)


def test_statements_of_several_accounts_have_no_single_iban():
    content = camt(
        None,
        statements=[
            ("STMT-1", "FR7630004000031234567890143", [ntry()]),
            ("STMT-2", "FR7610107001011234567890129", [ntry()]),
        ],
    )

    assert parse_camt053(content).account_iban == ""


@pytest.mark.parametrize(
    "content",
    [
        b'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.052.001.08">'
        b"<BkToCstmrAcctRpt/></Document>",
        b'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03">'
        b"<CstmrCdtTrfInitn/></Document>",
        b"<Document><BkToCstmrStmt/></Document>",
        b"<html><body>Relev\xc3\xa9</body></html>",
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><Other/></Document>',
        b'<BkToCstmrStmt xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"/>',
    ],
    ids=["camt052", "pain001", "no-namespace", "html", "not-a-statement", "no-document"],
)
def test_foreign_xml_is_refused(content):
    assert refused(parse_camt053, content).startswith("The file is not a CAMT.053 bank statement")


@pytest.mark.parametrize("version", ["01", "14", "1x"])
def test_unsupported_version_is_refused(version):
    message = refused(parse_camt053, camt([ntry()], version=version))

    assert message == (
        f"The CAMT.053 version '001.{version}' is not supported (001.02 to 001.13 are)."
    )


@pytest.mark.parametrize(
    "content",
    [
        fixture("statement-camt053.xml")[:-40],
        b"<Document><Stmt></Document>",
        b"not xml at all",
        b"",
    ],
    ids=["truncated", "mismatched", "text", "empty"],
)
def test_broken_xml_is_refused(content):
    assert refused(parse_camt053, content).startswith("The file is not well-formed XML")


def test_entities_are_refused():
    content = (
        b'<?xml version="1.0"?><!DOCTYPE Document [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">&lol2;</Document>'
    )

    assert refused(parse_camt053, content).startswith("The file is refused: it declares a DTD")


# --- either --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "filename", "expected"),
    [
        ("statement.csv", "releve-mars.csv", "csv"),
        ("statement-latin1.csv", "RELEVE.TXT", "csv"),
        ("statement-camt053.xml", "camt053.xml", "camt053"),
        ("statement-camt053-v08.xml", "RELEVE.XML", "camt053"),
        ("statement-camt053.xml", "export.csv", "camt053"),
        ("statement-camt053-v08.xml", "", "camt053"),
    ],
)
def test_parse_statement_detects_the_format(name, filename, expected):
    assert parse_statement(fixture(name), filename).format == expected


def test_parse_statement_reads_xml_with_a_bom_and_leading_blank():
    content = b"\xef\xbb\xbf\r\n" + camt([ntry()])

    assert parse_statement(content, "statement").format == "camt053"


def test_parse_statement_refuses_a_file_named_xml_that_is_not():
    message = refused(
        lambda content: parse_statement(content, "releve.xml"), fixture("statement.csv")
    )

    assert message.startswith("The file is not well-formed XML")


def test_parse_statement_refuses_foreign_xml_named_csv():
    content = (
        b'<?xml version="1.0"?>'
        b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>'
    )

    message = refused(lambda content: parse_statement(content, "releve.csv"), content)

    assert message.startswith("The file is not a CAMT.053 bank statement")


def test_a_french_user_reads_the_line_and_its_problem_in_french():
    with translation.override("fr"):
        message = refused(parse_csv, csv_bytes("date;amount", "05/03/2026;x"), line_number=2)

    assert message == "Ligne 2 : le montant « x » n'est pas un nombre."
