"""The FEC file: the header of LPF art. A47 A-1, 18 fields on every line, tab-separated,
CR LF, ISO 8859-15, amounts with a decimal comma, dates AAAAMMJJ, and its name."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from accounting.fec import FIELDS, fec_bytes, fec_export, fec_filename
from accounting.selectors import Entry, Line, journal_entries
from tests.factories import day_line, make_client, make_invoice

pytestmark = pytest.mark.django_db
D = Decimal

HEADER = (
    "JournalCode\tJournalLib\tEcritureNum\tEcritureDate\tCompteNum\tCompteLib\tCompAuxNum\t"
    "CompAuxLib\tPieceRef\tPieceDate\tEcritureLib\tDebit\tCredit\tEcritureLet\tDateLet\t"
    "ValidDate\tMontantdevise\tIdevise"
)


def rows(content):
    text = content.decode("iso8859_15")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    return [line.split("\t") for line in text.split("\r\n")[:-1]]


def test_the_file_has_the_header_and_18_fields_on_every_line(tenant_a, in_tenant):
    client = make_client(tenant_a, legal_name="Société\tÉlectrique | du\nNord")
    invoice = make_invoice(
        tenant_a, client=client, lines=[day_line("10", "612.35")], issued_on=date(2026, 3, 2)
    )
    with in_tenant(tenant_a):
        name, content = fec_export(
            tenant=tenant_a, date_from=date(2026, 1, 1), date_to=date(2026, 12, 31)
        )
    assert name == f"{tenant_a.siren}FEC20261231.txt"
    table = rows(content)
    assert "\t".join(table[0]) == HEADER and len(FIELDS) == 18
    assert all(len(row) == 18 for row in table)
    client_line, sales_line, vat_line = (dict(zip(FIELDS, row, strict=True)) for row in table[1:])
    assert client_line["JournalCode"] == "VT"
    assert client_line["EcritureNum"] == "VT000001"
    assert client_line["EcritureDate"] == client_line["ValidDate"] == "20260302"
    assert client_line["PieceRef"] == invoice.number
    assert client_line["PieceDate"] == "20260302"
    assert (client_line["Debit"], client_line["Credit"]) == ("7348,20", "0,00")
    assert (sales_line["Debit"], sales_line["Credit"]) == ("0,00", "6123,50")
    assert (vat_line["CompteNum"], vat_line["Credit"]) == ("445711", "1224,70")
    # The client's name lost its tab, pipe and line break, kept its accents (ISO 8859-15).
    assert client_line["CompAuxLib"] == "Société Électrique du Nord"
    assert client_line["EcritureLib"] == f"Facture {invoice.number} Société Électrique du Nord"


def test_the_file_name_is_the_siren_fec_and_the_closing_date():
    assert fec_filename(siren="812345676", closing_date=date(2026, 6, 30)) == (
        "812345676FEC20260630.txt"
    )


def test_a_character_outside_iso_8859_15_loses_its_accent_or_becomes_a_question_mark():
    label = "Dvořák 😀 € œ"
    entry = Entry(
        journal="VT",
        journal_label="Ventes",
        date=date(2026, 3, 2),
        piece_ref="FA-1",
        piece_date=date(2026, 3, 2),
        label=label,
        number="VT000001",
        lines=[
            Line("411000", "Clients", D("1.00"), D("0"), label),
            Line("706000", "Prestations", D("0"), D("1.00"), label),
        ],
    )
    assert rows(fec_bytes([entry]))[1][10] == "Dvorák ? € œ"


def test_an_unbalanced_entry_writes_no_file():
    entry = Entry(
        journal="VT",
        journal_label="Ventes",
        date=date(2026, 3, 2),
        piece_ref="FA-1",
        piece_date=date(2026, 3, 2),
        label="Facture",
        number="VT000001",
        lines=[Line("411000", "Clients", D("120.00"), D("0"), "Facture")],
    )
    with pytest.raises(ValidationError, match="not balanced"):
        fec_bytes([entry])


def test_an_empty_period_gives_the_header_alone(tenant_a, in_tenant):
    with in_tenant(tenant_a):
        assert (
            journal_entries(tenant=tenant_a, date_from=date(2026, 1, 1), date_to=date(2026, 1, 31))
            == []
        )
        assert rows(fec_bytes([])) == [FIELDS]


def test_the_command_writes_the_file_under_its_name(tenant_a, tmp_path, capsys):
    make_invoice(tenant_a, issued_on=date(2026, 3, 2))
    call_command(
        "export_fec",
        "--tenant",
        tenant_a.slug,
        "--from",
        "2026-01-01",
        "--to",
        "2026-03-31",
        "--output",
        str(tmp_path),
    )
    written = tmp_path / f"{tenant_a.siren}FEC20260331.txt"
    assert len(rows(written.read_bytes())) == 4
    assert "3 lines" in capsys.readouterr().out


def test_the_command_refuses_an_unknown_company_or_an_inverted_period(tenant_a, tmp_path):
    with pytest.raises(CommandError, match="nowhere"):
        call_command(
            "export_fec", "--tenant", "nowhere", "--from", "2026-01-01", "--to", "2026-03-31"
        )
    with pytest.raises(CommandError, match="ends before it starts"):
        call_command(
            "export_fec",
            "--tenant",
            tenant_a.slug,
            "--from",
            "2026-03-01",
            "--to",
            "2026-01-31",
            "--output",
            str(tmp_path),
        )
