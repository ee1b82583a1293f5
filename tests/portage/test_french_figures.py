"""Amounts, rates, dates and IBANs as French people read them (portage template filters)."""

from decimal import Decimal
from types import SimpleNamespace

from portage.templatetags.portage import audit_changes, euros, iban, rate

NBSP = "\u00a0"
NNBSP = "\u202f"


def test_an_amount_in_euros():
    assert euros(Decimal("1234.5")) == f"1{NNBSP}234,50{NBSP}€"


def test_a_rate_with_its_two_decimals():
    assert rate(Decimal("12.4")) == f"12,40{NBSP}%"


def test_an_iban_in_groups_of_four():
    assert iban("FR7630006000011234567890189") == "FR76 3000 6000 0112 3456 7890 189"


def test_an_audit_entry_shows_its_stored_amounts_and_dates_the_french_way():
    entry = SimpleNamespace(
        object_type="invoices.payment",
        before={"amount": "4000.00"},
        after={
            "amount": "5000.00",
            "received_on": "2026-03-31",
            "allocations": {"FA-2026-000001": "5000.00"},
            "method": "transfer",
        },
    )
    values = [(before, after) for _label, before, after in audit_changes(entry)]
    assert values == [
        (f"4{NNBSP}000,00", f"5{NNBSP}000,00"),
        (None, "31/03/2026"),
        (None, f"FA-2026-000001 : 5{NNBSP}000,00"),
        (None, "transfer"),
    ]
