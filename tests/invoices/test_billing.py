"""Drafts, totals, due dates, gapless numbering, immutability and credit notes."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.utils import ProgrammingError

from invoices.models import Invoice, InvoiceLine
from invoices.services.billing import (
    client_update,
    credit_note_issue,
    invoice_draft_delete,
    invoice_draft_update,
    invoice_issue,
)
from invoices.terms import PaymentTerms, due_date
from portage.models import AuditEntry
from portage.permissions import Role
from tests.factories import day_line, make_client, make_consultant, make_invoice, make_member

pytestmark = pytest.mark.django_db

D = Decimal


def test_a_draft_line_is_quantity_times_price_rounded_half_up(tenant_a, in_tenant):
    invoice = make_invoice(tenant_a, lines=[day_line(days="2.5", rate="333.33")])
    with in_tenant(tenant_a):
        line = invoice.lines.get()
    assert line.total_ht == D("833.33")  # 833.325 rounds half up
    assert (invoice.total_ht, invoice.total_vat, invoice.total_ttc) == (
        D("833.33"),
        D("166.67"),
        D("1000.00"),
    )


@pytest.mark.parametrize(
    ("issued", "terms", "days", "due"),
    [
        (date(2026, 1, 15), PaymentTerms.NET, 30, date(2026, 2, 14)),
        (date(2026, 1, 15), PaymentTerms.NET, 60, date(2026, 3, 16)),
        (date(2026, 1, 20), PaymentTerms.END_OF_MONTH_45, 0, date(2026, 3, 31)),
        (date(2026, 12, 20), PaymentTerms.END_OF_MONTH_45, 0, date(2027, 2, 28)),
    ],
)
def test_due_dates_follow_the_terms(issued, terms, days, due):
    assert due_date(issued_on=issued, terms=terms, days=days) == due


def test_terms_beyond_the_legal_ceiling_are_refused(tenant_a, in_tenant):
    with pytest.raises(ValidationError, match="60"):
        due_date(issued_on=date(2026, 1, 1), terms=PaymentTerms.NET, days=61)
    client = make_client(tenant_a)
    client.payment_days = 75
    with in_tenant(tenant_a), pytest.raises(ValidationError) as error:
        client.full_clean()
    assert "payment_days" in error.value.message_dict


def test_issuing_numbers_the_invoices_of_a_year_in_sequence(tenant_a, in_tenant):
    consultant, client = make_consultant(tenant_a), make_client(tenant_a)
    numbers = [
        make_invoice(tenant_a, client=client, consultant=consultant, issued_on=day).number
        for day in (date(2026, 3, 2), date(2026, 3, 2), date(2026, 3, 5))
    ]
    assert numbers == ["FA-2026-000001", "FA-2026-000002", "FA-2026-000003"]
    next_year = make_invoice(
        tenant_a, client=client, consultant=consultant, issued_on=date(2027, 1, 4)
    )
    assert next_year.number == "FA-2027-000001"


def test_without_the_yearly_reset_the_series_continues(tenant_a):
    tenant_a.number_yearly_reset = False
    tenant_a.invoice_prefix = "F"
    tenant_a.save()
    first = make_invoice(tenant_a, issued_on=date(2026, 12, 30))
    second = make_invoice(tenant_a, issued_on=date(2027, 1, 2))
    assert (first.number, second.number) == ("F-000001", "F-000002")


def test_each_tenant_has_its_own_series_and_sees_only_its_invoices(tenant_a, tenant_b, in_tenant):
    a = make_invoice(tenant_a, issued_on=date(2026, 3, 2))
    b = make_invoice(tenant_b, issued_on=date(2026, 3, 2))
    assert a.number == b.number == "FA-2026-000001"
    with in_tenant(tenant_a):
        assert list(Invoice.objects.values_list("pk", flat=True)) == [a.pk]
    with in_tenant(tenant_b):
        assert list(Invoice.objects.values_list("pk", flat=True)) == [b.pk]


def test_an_invoice_cannot_be_dated_before_the_last_one_of_its_series(tenant_a, in_tenant):
    make_invoice(tenant_a, issued_on=date(2026, 3, 5))
    draft = make_invoice(tenant_a)
    with in_tenant(tenant_a), pytest.raises(ValidationError, match="05/03/2026"):
        invoice_issue(invoice=draft, by=None, issued_on=date(2026, 3, 4))


def test_issuing_freezes_seller_buyer_due_date_and_fee_rate(tenant_a, in_tenant):
    consultant = make_consultant(tenant_a, fee_rate="8.50")
    invoice = make_invoice(tenant_a, consultant=consultant, issued_on=date(2026, 3, 2))
    assert invoice.status == Invoice.Status.ISSUED
    assert invoice.due_date == date(2026, 4, 1)
    assert invoice.fee_rate == D("8.50")
    assert invoice.seller["siren"] == tenant_a.siren and invoice.seller["iban"]
    assert invoice.buyer["siren"] == invoice.client.siren


def test_issuing_without_the_mandatory_mentions_is_refused(tenant_a, in_tenant):
    tenant_a.iban = ""
    tenant_a.save()
    draft = make_invoice(tenant_a)
    with in_tenant(tenant_a), pytest.raises(ValidationError, match="IBAN"):
        invoice_issue(invoice=draft, by=None, issued_on=date(2026, 3, 2))
    with in_tenant(tenant_a):
        draft.refresh_from_db()
    assert draft.status == Invoice.Status.DRAFT and draft.number == ""


def test_the_service_refuses_to_change_an_issued_invoice(tenant_a, in_tenant):
    invoice = make_invoice(tenant_a, issued_on=date(2026, 3, 2))
    with in_tenant(tenant_a):
        with pytest.raises(ValidationError, match="credit note"):
            invoice_draft_update(invoice=invoice, by=None, lines=[day_line(days="1")])
        with pytest.raises(ValidationError):
            invoice_draft_delete(invoice=invoice, by=None)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE invoices_invoice SET total_ttc = 1 WHERE id = %s",
        "UPDATE invoices_invoice SET number = 'FA-X' WHERE id = %s",
        "UPDATE invoices_invoice SET status = 'draft' WHERE id = %s",
        "UPDATE invoices_invoice SET period_end = '2026-03-31' WHERE id = %s",
        "DELETE FROM invoices_invoice WHERE id = %s",
        "UPDATE invoices_invoiceline SET unit_price = 1 WHERE invoice_id = %s",
        "DELETE FROM invoices_invoiceline WHERE invoice_id = %s",
    ],
)
def test_the_database_refuses_to_change_an_issued_invoice(tenant_a, in_tenant, statement):
    invoice = make_invoice(tenant_a, issued_on=date(2026, 3, 2))
    with in_tenant(tenant_a):
        with pytest.raises(ProgrammingError, match="issued"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(statement, [invoice.pk])
        stored = Invoice.objects.get(pk=invoice.pk)
    assert (stored.number, stored.total_ttc) == (invoice.number, invoice.total_ttc)


def test_a_line_cannot_be_added_to_an_issued_invoice(tenant_a, in_tenant):
    invoice = make_invoice(tenant_a, issued_on=date(2026, 3, 2))
    with in_tenant(tenant_a), pytest.raises(ProgrammingError), transaction.atomic():
        InvoiceLine.objects.create(
            tenant=tenant_a,
            invoice=invoice,
            description="extra",
            quantity=1,
            unit_price=1,
            vat_rate=20,
            total_ht=1,
        )


def test_a_draft_can_be_changed_and_deleted_without_leaving_a_gap(tenant_a, in_tenant):
    draft = make_invoice(tenant_a)
    with in_tenant(tenant_a):
        changed = invoice_draft_update(invoice=draft, by=None, lines=[day_line(days="3")])
        assert changed.total_ht == D("1800.00")
        invoice_draft_delete(invoice=changed, by=None)
        assert not Invoice.objects.exists()
    assert make_invoice(tenant_a, issued_on=date(2026, 3, 2)).number == "FA-2026-000001"


def test_a_full_credit_note_cancels_the_invoice_and_names_it(tenant_a, in_tenant):
    invoice = make_invoice(tenant_a, issued_on=date(2026, 3, 2))
    with in_tenant(tenant_a):
        note = credit_note_issue(
            invoice=invoice, by=None, reason="Erreur de TJM", issued_on=date(2026, 3, 3)
        )
        invoice.refresh_from_db()
    assert note.number == "AV-2026-000001"
    assert (note.kind, note.credited_invoice, note.total_ttc) == (
        "credit_note",
        invoice,
        invoice.total_ttc,
    )
    assert invoice.status == Invoice.Status.CREDITED
    assert invoice.balance == 0


def test_a_partial_credit_note_leaves_the_rest_due(tenant_a, in_tenant):
    invoice = make_invoice(tenant_a, issued_on=date(2026, 3, 2))  # 10 days × 600 + VAT
    with in_tenant(tenant_a):
        credit_note_issue(
            invoice=invoice,
            by=None,
            reason="Un jour non travaillé",
            lines=[day_line(days="1")],
            issued_on=date(2026, 3, 3),
        )
        invoice.refresh_from_db()
    assert invoice.credited_amount == D("720.00")
    assert invoice.balance == D("6480.00")
    assert invoice.status == Invoice.Status.ISSUED


def test_a_credit_note_may_not_exceed_what_is_unpaid(tenant_a, in_tenant):
    invoice = make_invoice(tenant_a, issued_on=date(2026, 3, 2))
    with in_tenant(tenant_a):
        with pytest.raises(ValidationError, match="more than what is still unpaid"):
            credit_note_issue(
                invoice=invoice,
                by=None,
                reason="x",
                lines=[day_line(days="11")],
                issued_on=date(2026, 3, 3),
            )
        with pytest.raises(ValidationError, match="reason"):
            credit_note_issue(invoice=invoice, by=None, reason="  ", issued_on=date(2026, 3, 3))
        assert not Invoice.objects.filter(kind="credit_note").exists()


def test_a_draft_service_period_ends_on_or_after_its_start(tenant_a, in_tenant):
    draft = make_invoice(tenant_a)
    with in_tenant(tenant_a):
        with pytest.raises(ValidationError) as refused:
            invoice_draft_update(
                invoice=draft, by=None, period_start=date(2026, 3, 31), period_end=date(2026, 3, 1)
            )
        assert refused.value.code == "period_reversed"
        with pytest.raises(ValidationError) as refused:
            invoice_draft_update(invoice=draft, by=None, period_start=date(2026, 3, 1))
        assert refused.value.code == "period_incomplete"


def test_a_credit_note_keeps_the_service_period_of_its_invoice(tenant_a, in_tenant):
    draft = make_invoice(tenant_a)
    with in_tenant(tenant_a):
        invoice_draft_update(
            invoice=draft, by=None, period_start=date(2026, 3, 1), period_end=date(2026, 3, 31)
        )
        invoice = invoice_issue(invoice=draft, by=None, issued_on=date(2026, 4, 1))
        note = credit_note_issue(invoice=invoice, by=None, reason="Erreur de tarif")
    assert (note.period_start, note.period_end) == (date(2026, 3, 1), date(2026, 3, 31))


def test_the_buyer_snapshot_keeps_its_electronic_address(tenant_a, in_tenant):
    client = make_client(tenant_a)
    with in_tenant(tenant_a):
        client.einvoicing_address = f"{client.siren}_ACHATS"
        client.einvoicing_scheme = "0225"
        client.einvoicing_routing_code = "ACHATS"
        client.save()
    invoice = make_invoice(tenant_a, client=client, issued_on=date(2026, 3, 2))

    assert (
        invoice.buyer["einvoicing_address"],
        invoice.buyer["einvoicing_scheme"],
        invoice.buyer["einvoicing_routing_code"],
    ) == (f"{client.siren}_ACHATS", "0225", "ACHATS")
    assert invoice.seller["einvoicing_address"] == tenant_a.siren


def test_a_clients_change_is_audited_with_the_fields_that_changed_only(
    tenant_a, tenant_b, in_tenant
):
    client = make_client(tenant_a, payment_days=30)
    admin = make_member(tenant_a, Role.ADMIN).user
    with in_tenant(tenant_a):
        client_update(
            client=client, by=admin, legal_name="Nouveau nom", payment_days=30, city=client.city
        )
        client_update(client=client, by=admin, payment_days=30)  # nothing changes
        entries = list(AuditEntry.objects.filter(action="client.updated"))
    assert [(entry.before, entry.after) for entry in entries] == [
        ({"legal_name": client.legal_name}, {"legal_name": "Nouveau nom"})
    ]
    assert entries[0].object_id == str(client.pk)
    assert entries[0].actor == admin
    with in_tenant(tenant_b):
        assert not AuditEntry.objects.filter(action="client.updated").exists()
