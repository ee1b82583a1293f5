"""Bank statement import: credits matched to invoices, confirmed into payments, never twice."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from invoices.models import BankLine, BankStatement, Invoice, Payment
from invoices.services.bank import bank_line_confirm, bank_line_dismiss, statement_import
from portage.permissions import Role
from tests.factories import make_client, make_consultant, make_invoice

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def invoices(tenant_a):
    client, consultant = (
        make_client(tenant_a, legal_name="ACME Conseil SAS"),
        make_consultant(tenant_a),
    )
    first = make_invoice(tenant_a, client=client, consultant=consultant, issued_on=date(2026, 3, 2))
    second = make_invoice(
        tenant_a, client=client, consultant=consultant, issued_on=date(2026, 3, 2)
    )
    other = make_invoice(tenant_a, issued_on=date(2026, 3, 3))  # another client, 7,200.00
    return first, second, other


def csv_statement(*rows):
    header = "Date opération;Libellé;Tiers;Montant;Devise;Référence"
    return ("\n".join([header, *rows]) + "\n").encode()


def import_(tenant, content, in_tenant, name="releve.csv"):
    with in_tenant(tenant):
        return statement_import(tenant=tenant, content=content, filename=name, by=None)


def test_credits_are_matched_by_the_invoice_numbers_in_their_label(tenant_a, invoices, in_tenant):
    first, second, _ = invoices
    content = csv_statement(
        f"01/04/2026;VIR SEPA /MOTIF {first.number} {second.number};ACME CONSEIL;14 400,00;EUR;R1",
        "02/04/2026;PRLV URSSAF;URSSAF;-3 250,00;EUR;R2",
    )
    result = import_(tenant_a, content, in_tenant)
    assert (result.imported, result.matched, result.skipped_debits) == (1, 1, 1)
    with in_tenant(tenant_a):
        line = BankLine.objects.get()
        suggested = sorted((s.invoice.number, s.amount) for s in line.suggestions.all())
        assert line.status == "suggested" and line.suggested_client == first.client
    assert suggested == [(first.number, D("7200.00")), (second.number, D("7200.00"))]


def test_a_number_written_without_dashes_is_recognised(tenant_a, invoices, in_tenant):
    first = invoices[0]
    compact = first.number.replace("-", "")
    import_(
        tenant_a,
        csv_statement(f"01/04/2026;REGLEMENT FACT {compact};ACME;500,00;EUR;R1"),
        in_tenant,
    )
    with in_tenant(tenant_a):
        line = BankLine.objects.get()
        assert [s.invoice for s in line.suggestions.all()] == [first]


def test_a_credit_equal_to_one_open_balance_is_matched_by_amount(tenant_a, invoices, in_tenant):
    first, second, other = invoices
    import_(tenant_a, csv_statement("01/04/2026;VIREMENT;ACME;7 200,00;EUR;R1"), in_tenant)
    with in_tenant(tenant_a):
        line = BankLine.objects.get()
    # Three open invoices owe 7,200.00: the amount alone does not tell which.
    assert line.status == "unmatched" and line.suggested_client is None
    with in_tenant(tenant_a):
        Invoice.objects.filter(pk__in=[first.pk, second.pk]).update(
            paid_amount=D("1"), status="partially_paid"
        )
    import_(tenant_a, csv_statement("02/04/2026;VIREMENT;X;7 200,00;EUR;R9"), in_tenant)
    with in_tenant(tenant_a):
        line = BankLine.objects.get(bank_reference="R9")
        assert [s.invoice for s in line.suggestions.all()] == [other]


def test_the_same_statement_imported_twice_creates_nothing_twice(tenant_a, invoices, in_tenant):
    content = csv_statement("01/04/2026;VIREMENT;ACME;100,00;EUR;R1")
    import_(tenant_a, content, in_tenant)
    again = import_(tenant_a, content, in_tenant, name="releve (copie).csv")
    assert again.already_imported
    with in_tenant(tenant_a):
        assert (BankStatement.objects.count(), BankLine.objects.count()) == (1, 1)


def test_a_line_already_given_in_an_earlier_statement_is_skipped(tenant_a, invoices, in_tenant):
    import_(tenant_a, csv_statement("01/04/2026;VIREMENT;ACME;100,00;EUR;R1"), in_tenant)
    overlapping = csv_statement(
        "01/04/2026;VIREMENT;ACME;100,00;EUR;R1", "02/04/2026;VIREMENT;ACME;50,00;EUR;R2"
    )
    result = import_(tenant_a, overlapping, in_tenant)
    assert (result.imported, result.skipped_duplicates) == (1, 1)
    with in_tenant(tenant_a):
        assert sorted(BankLine.objects.values_list("bank_reference", flat=True)) == ["R1", "R2"]


def test_a_malformed_file_names_the_line_and_imports_nothing(tenant_a, invoices, in_tenant):
    content = csv_statement(
        "01/04/2026;VIREMENT;ACME;100,00;EUR;R1", "02/04/2026;VIREMENT;ACME;12,3,4;EUR;R2"
    )
    with pytest.raises(ValidationError) as error:
        import_(tenant_a, content, in_tenant)
    assert "3" in error.value.messages[0]
    with in_tenant(tenant_a):
        assert not BankStatement.objects.exists() and not BankLine.objects.exists()


def test_a_camt053_statement_is_imported_once_by_its_identifier(tenant_a, invoices, in_tenant):
    first = invoices[0]
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>
 <GrpHdr><MsgId>MSG-1</MsgId><CreDtTm>2026-04-02T06:00:00</CreDtTm></GrpHdr>
 <Stmt><Id>STMT-2026-04-01</Id><CreDtTm>2026-04-02T06:00:00</CreDtTm>
  <Acct><Id><IBAN>FR7630006000011234567890189</IBAN></Id></Acct>
  <Ntry><Amt Ccy="EUR">7200.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
   <BookgDt><Dt>2026-04-01</Dt></BookgDt><AcctSvcrRef>BANK-REF-1</AcctSvcrRef>
   <NtryDtls><TxDtls><RltdPties><Dbtr><Nm>ACME CONSEIL SAS</Nm></Dbtr></RltdPties>
    <RmtInf><Ustrd>PAIEMENT FACTURE {first.number}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
 </Stmt></BkToCstmrStmt></Document>""".encode()
    result = import_(tenant_a, xml, in_tenant, name="camt.xml")
    assert (result.imported, result.matched) == (1, 1)
    assert result.statement.statement_id == "STMT-2026-04-01"
    # The same statement, exported again with another creation time: the same identifier.
    again = import_(tenant_a, xml.replace(b"06:00:00", b"07:30:00"), in_tenant, name="camt2.xml")
    assert again.already_imported


def test_confirming_a_line_records_the_payment_and_the_invoices_follow(
    tenant_a, invoices, in_tenant
):
    first, second, _ = invoices
    import_(
        tenant_a,
        csv_statement(f"01/04/2026;MOTIF {first.number} {second.number};ACME;10 000,00;EUR;R1"),
        in_tenant,
    )
    with in_tenant(tenant_a):
        line = BankLine.objects.get()
        payment = bank_line_confirm(line=line, by=None)
        line.refresh_from_db()
        first.refresh_from_db()
        second.refresh_from_db()
        with pytest.raises(ValidationError, match="already been dealt with"):
            bank_line_confirm(line=line, by=None)
        assert (line.status, line.payment) == ("confirmed", payment)
    assert (payment.amount, payment.received_on, payment.reference) == (
        D("10000.00"),
        date(2026, 4, 1),
        "R1",
    )
    assert (first.status, second.status, second.paid_amount) == (
        "paid",
        "partially_paid",
        D("2800.00"),
    )


def test_a_line_that_is_no_client_payment_is_dismissed_with_its_reason(
    tenant_a, invoices, in_tenant
):
    import_(
        tenant_a, csv_statement("01/04/2026;REMBOURSEMENT ASSURANCE;AXA;80,00;EUR;R1"), in_tenant
    )
    with in_tenant(tenant_a):
        line = BankLine.objects.get()
        with pytest.raises(ValidationError):
            bank_line_dismiss(line=line, by=None, reason="")
        bank_line_dismiss(line=line, by=None, reason="Remboursement de sinistre automobile")
        line.refresh_from_db()
        assert not Payment.objects.exists()
    assert line.status == "dismissed"


def test_each_company_imports_its_own_statements(tenant_a, tenant_b, invoices, in_tenant):
    content = csv_statement("01/04/2026;VIREMENT;ACME;100,00;EUR;R1")
    import_(tenant_a, content, in_tenant)
    result = import_(tenant_b, content, in_tenant)
    assert not result.already_imported
    with in_tenant(tenant_b):
        assert BankLine.objects.count() == 1
        assert not BankLine.objects.filter(statement__tenant=tenant_a).exists()


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (
            ["01/04/2026;VIREMENT;ACME;100,00;EUR;R1", "02/04/2026;PRLV;URSSAF;-3,00;EUR;R2"],
            "1 crédit importé (rapproché d'une facture : 0). "
            "Laissés de côté : débits, 1 ; lignes déjà importées, 0.",
        ),
        (
            ["01/04/2026;VIREMENT;ACME;100,00;EUR;R1", "02/04/2026;VIREMENT;ACME;50,00;EUR;R2"],
            "2 crédits importés (rapprochés de factures : 0). "
            "Laissés de côté : débits, 0 ; lignes déjà importées, 0.",
        ),
    ],
    ids=["one credit", "two credits"],
)
def test_the_import_message_counts_the_credits_in_proper_french(
    signed_in, tenant_a, member, rows, expected
):
    browser = signed_in(member(tenant_a, Role.COLLECTOR))
    upload = SimpleUploadedFile("releve.csv", csv_statement(*rows))
    response = browser.post(reverse("bank_queue"), {"file": upload}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [expected]
