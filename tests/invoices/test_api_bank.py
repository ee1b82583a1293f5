"""Bank statements through the API: a file imported once, its credits counted by status;
a wrong or oversized file refused with a clear message."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from invoices.models import BankStatement
from portage.tenancy import PLATFORM_DB, tenant_context
from tests.factories import make_client, make_invoice
from tests.helpers import caller

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", PLATFORM_DB])


def statement(*rows):
    header = "Date opération;Libellé;Tiers;Montant;Devise;Référence"
    return ("\n".join([header, *rows]) + "\n").encode()


def upload(writer, content, name="releve.csv"):
    return writer.post(
        "/api/v1/bank-statements/",
        {"file": SimpleUploadedFile(name, content)},
        format="multipart",
    )


def test_a_statement_is_imported_once_with_its_lines_counted(tenant_a, tenant_b):
    writer = caller(tenant_a)
    invoice = make_invoice(
        tenant_a, client=make_client(tenant_a, legal_name="ACME"), issued_on=date(2026, 3, 2)
    )
    content = statement(
        f"01/04/2026;VIR /MOTIF {invoice.number};ACME;7 200,00;EUR;R1",
        "02/04/2026;VIR /MOTIF ACOMPTE;INCONNU;150,00;EUR;R2",
        "03/04/2026;PRLV URSSAF;URSSAF;-3 250,00;EUR;R3",
    )
    imported = upload(writer, content)
    assert imported.status_code == 201, imported.json()
    body = imported.json()
    assert body["lines"] == {
        "total": 2,
        "unmatched": 1,
        "suggested": 1,
        "confirmed": 0,
        "dismissed": 0,
    }
    assert (body["status"], body["skipped_debits"]) == ("to_review", 1)
    again = upload(writer, content, name="copie.csv")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_imported"
    assert "already imported" in again.json()["error"]["message"]
    detail = writer.get(f"/api/v1/bank-statements/{body['id']}/").json()
    assert [line["status"] for line in detail["credit_lines"]] == ["suggested", "unmatched"]
    assert [row["id"] for row in writer.get("/api/v1/bank-statements/").json()["results"]] == [
        body["id"]
    ]
    assert caller(tenant_b).get("/api/v1/bank-statements/").json()["results"] == []


def test_a_wrong_or_oversized_file_imports_nothing(tenant_a):
    writer = caller(tenant_a)
    wrong = upload(writer, b"%PDF-1.7 not a statement", name="releve.pdf")
    # A file the schema allows (any bytes) whose content is no statement: a rule, 422.
    assert wrong.status_code == 422 and wrong.json()["error"]["fields"]["file"]
    too_big = upload(writer, b"x" * 5_000_001)
    assert too_big.status_code == 422
    assert "larger than 5 MB" in too_big.json()["error"]["fields"]["file"][0]
    missing = writer.post("/api/v1/bank-statements/", {}, format="multipart")
    assert missing.status_code == 400 and "file" in missing.json()["error"]["fields"]
    as_json = writer.post("/api/v1/bank-statements/", {"file": "x"}, format="json")
    assert as_json.status_code == 415
    with tenant_context(tenant_a):
        assert not BankStatement.objects.exists()
