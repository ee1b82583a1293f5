"""The invoice list writes its page without DRF's per-field machinery (`FastListSerializer`):
each invoice in it must be exactly what the detail answers for it, decimals as strings with
their places, dates, nested lines, balance and nulls included."""

import json
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.renderers import JSONRenderer

from invoices.api.invoices import InvoiceSerializer
from invoices.models import Invoice
from portage.tenancy import PLATFORM_DB, tenant_context
from tests.factories import day_line, make_client, make_consultant, make_invoice
from tests.helpers import caller

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", PLATFORM_DB])


@pytest.fixture
def invoices_of_every_shape(tenant_a):
    """A draft (no number, no dates, nulls), an issued invoice of three lines at three VAT
    rates with quantities of three decimals, partly paid, and a credit note on it."""
    client, consultant = make_client(tenant_a), make_consultant(tenant_a)
    draft = make_invoice(tenant_a, client=client, consultant=consultant)
    issued = make_invoice(
        tenant_a,
        client=client,
        consultant=consultant,
        lines=[
            day_line(days="2.5", rate="612.35", vat="20.00"),
            day_line(days="0.125", rate="99.99", vat="5.50", description="Frais"),
            day_line(days="1", rate="0.00", vat="0", description="Offert"),
        ],
        issued_on=date(2026, 3, 2),
    )
    with tenant_context(tenant_a):
        Invoice.objects.filter(pk=issued.pk).update(paid_amount=Decimal("100.5"))
    return draft, issued


def as_json(line):
    """A line as the API takes it: amounts as JSON strings, as the schema states."""
    return {name: str(v) if isinstance(v, Decimal) else v for name, v in line.items()}


def test_each_invoice_of_the_list_is_written_as_the_detail_writes_it(
    tenant_a, tenant_b, invoices_of_every_shape
):
    draft, issued = invoices_of_every_shape
    writer = caller(tenant_a)
    note = writer.post(
        f"/api/v1/invoices/{issued.pk}/credit-note/",
        {"reason": "Un jour non travaillé", "lines": [as_json(day_line(days="1", rate="612.35"))]},
        format="json",
    )
    assert note.status_code == 201, note.json()
    other = make_invoice(tenant_b, issued_on=date(2026, 3, 2))

    listed = writer.get("/api/v1/invoices/?page_size=100")
    assert listed.status_code == 200
    page = json.loads(listed.content)["results"]
    assert {invoice["id"] for invoice in page} == {draft.pk, issued.pk, note.json()["id"]}
    assert other.pk not in {invoice["id"] for invoice in page}
    for invoice in page:
        detail = json.loads(writer.get(f"/api/v1/invoices/{invoice['id']}/").content)
        assert invoice == detail
        assert list(invoice) == list(detail)
        assert [list(row) for row in invoice["lines"]] == [list(row) for row in detail["lines"]]

    by_id = {invoice["id"]: invoice for invoice in page}
    assert by_id[draft.pk]["number"] == "" and by_id[draft.pk]["issue_date"] is None
    assert by_id[draft.pk]["mission"] is None and by_id[draft.pk]["issued_at"] is None
    assert by_id[draft.pk]["balance"] == "0.00"
    written = by_id[issued.pk]
    assert written["issue_date"] == "2026-03-02" and written["paid_amount"] == "100.50"
    assert [row["quantity"] for row in written["lines"]] == ["2.500", "0.125", "1.000"]
    assert [row["vat_rate"] for row in written["lines"]] == ["20.00", "5.50", "0.00"]
    assert Decimal(written["balance"]) == (
        Decimal(written["total_ttc"])
        - Decimal(written["credited_amount"])
        - Decimal(written["paid_amount"])
    )
    assert by_id[note.json()["id"]]["credited_invoice"] == issued.pk


def test_the_list_renders_the_same_bytes_as_the_serializer_of_one_invoice(
    tenant_a, invoices_of_every_shape
):
    listed = caller(tenant_a).get("/api/v1/invoices/?page_size=100")
    with tenant_context(tenant_a):
        one_by_one = [
            JSONRenderer().render(InvoiceSerializer(invoice).data)
            for invoice in Invoice.objects.prefetch_related("lines").order_by("-id")
        ]
    assert listed.content.startswith(b'{"next":null,"previous":null,"results":[')
    assert listed.content.endswith(b",".join(one_by_one) + b"]}")


def test_the_list_and_the_detail_read_no_more_for_more_invoices(invoices_of_every_shape, tenant_a):
    """Columns the JSON does not show are not read; nothing is then read invoice by invoice."""
    reader = caller(tenant_a, scope="read")
    _draft, issued = invoices_of_every_shape

    def statements(path):
        with CaptureQueriesContext(connection) as queries:
            assert reader.get(path).status_code == 200
        return [query["sql"] for query in queries.captured_queries]

    reader.get("/api/v1/invoices/")  # the key's first use is written down once
    few = statements("/api/v1/invoices/")
    for _ in range(4):
        make_invoice(tenant_a, issued_on=date(2026, 3, 2))
    many = statements("/api/v1/invoices/")
    detail = statements(f"/api/v1/invoices/{issued.pk}/")
    assert len(many) == len(few)
    invoice_reads = [sql for sql in many + detail if sql.startswith('SELECT "invoices_invoice"')]
    assert len(invoice_reads) == 2 and not any('"seller"' in sql for sql in invoice_reads)
