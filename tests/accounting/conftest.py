from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone, translation

from invoices.services.billing import credit_note_issue
from invoices.services.payments import payment_record, payment_reverse
from tests.factories import day_line, make_client, make_consultant, make_invoice

D = Decimal
PARIS = ZoneInfo("Europe/Paris")
EXPENSES = {
    "description": "Frais de déplacement",
    "quantity": D("1"),
    "unit": "C62",
    "unit_price": D("100.00"),
    "vat_rate": D("10.00"),
}


@pytest.fixture(autouse=True)
def _services_speak_english():
    """Messages are checked in English, their source language."""
    with translation.override("en"):
        yield


@pytest.fixture
def billed(tenant_a, in_tenant, monkeypatch):
    """Invoice of 10 days at 600 (20 %) and expenses 2 × 100 (10 %), issued 2 March:
    6 200 HT, VAT 1 200 + 20, 7 420 TTC. Paid 2 000 on 20 March; the expenses cancelled by
    a credit note of 110 on 25 March; a cheque of 500 on 26 March, bounced on 2 April."""
    client = make_client(tenant_a, legal_name="Durand Industrie")
    two_days = {**EXPENSES, "quantity": D("2")}
    invoice = make_invoice(
        tenant_a,
        client=client,
        consultant=make_consultant(tenant_a),
        lines=[day_line("10", "600.00", "20.00"), two_days],
        issued_on=date(2026, 3, 2),
    )
    with in_tenant(tenant_a):
        payment_record(
            client=client,
            amount=D("2000.00"),
            received_on=date(2026, 3, 20),
            by=None,
            reference="VIR 123",
            allocations=[(invoice, D("2000.00"))],
        )
        note = credit_note_issue(
            invoice=invoice,
            by=None,
            reason="Frais refacturés à tort",
            lines=[EXPENSES],
            issued_on=date(2026, 3, 25),
        )
        cheque = payment_record(
            client=client,
            amount=D("500.00"),
            received_on=date(2026, 3, 26),
            by=None,
            reference="CHQ 9",
            allocations=[(invoice, D("500.00"))],
        )
        monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 4, 2, 0, 30, tzinfo=PARIS))
        payment_reverse(payment=cheque, reason="Chèque impayé", by=None)
        monkeypatch.undo()
        invoice.refresh_from_db()
    return invoice, note, client
