"""Journal entries derived from billing, payments and credit insurance, worked by hand."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounting.models import ChartOfAccounts
from accounting.selectors import (
    account_balances,
    check_balanced,
    client_aux,
    insurer_aux,
    journal_entries,
)
from accounting.services import chart_update
from insurance.models import Claim
from insurance.services.batch import run_insurance
from insurance.services.claims import claim_file, claim_indemnify
from invoices.services.payments import payment_record
from tests.factories import make_invoice
from tests.insurance.test_cover_and_claims import DUE, covered_invoice

pytestmark = pytest.mark.django_db
D = Decimal
MARCH = (date(2026, 3, 1), date(2026, 3, 31))


def movements(entries):
    """The period's own entries, without the opening balances brought forward (AN)."""
    return [entry for entry in entries if entry.journal != "AN"]


def lines_of(entry):
    return [(line.account, line.aux_account, line.debit, line.credit) for line in entry.lines]


def summary(entries):
    return [(entry.number, entry.date, entry.piece_ref, lines_of(entry)) for entry in entries]


def test_an_invoice_a_partial_payment_a_credit_note_and_a_bounced_cheque(
    tenant_a, in_tenant, billed
):
    invoice, note, client = billed
    aux = client_aux(client)
    with in_tenant(tenant_a):
        march = journal_entries(tenant=tenant_a, date_from=MARCH[0], date_to=MARCH[1])
        april = journal_entries(
            tenant=tenant_a, date_from=date(2026, 4, 1), date_to=date(2026, 4, 30)
        )
    assert summary(march) == [
        (
            "VT000001",
            date(2026, 3, 2),
            invoice.number,
            [
                ("411000", aux, D("7420.00"), D("0")),
                ("706000", "", D("0"), D("6200.00")),
                ("445711", "", D("0"), D("1200.00")),
                ("445712", "", D("0"), D("20.00")),
            ],
        ),
        (
            "BQ000001",
            date(2026, 3, 20),
            "VIR 123",
            [
                ("512000", "", D("2000.00"), D("0")),
                ("411000", aux, D("0"), D("2000.00")),
            ],
        ),
        (
            "VT000002",
            date(2026, 3, 25),
            note.number,
            [
                ("411000", aux, D("0"), D("110.00")),
                ("706000", "", D("100.00"), D("0")),
                ("445712", "", D("10.00"), D("0")),
            ],
        ),
        (
            "BQ000002",
            date(2026, 3, 26),
            "CHQ 9",
            [
                ("512000", "", D("500.00"), D("0")),
                ("411000", aux, D("0"), D("500.00")),
            ],
        ),
    ]
    # Reversed on 2 April (Paris time, though still 1 April in UTC), dated that day, after
    # the pieces still open on 1 April brought forward (worked in test_opening_balances.py).
    assert summary(movements(april)) == [
        (
            "BQ000001",
            date(2026, 4, 2),
            "CHQ 9",
            [
                ("512000", "", D("0"), D("500.00")),
                ("411000", aux, D("500.00"), D("0")),
            ],
        ),
    ]
    assert [entry.lines[2].account_label for entry in march[:1]] == ["TVA collectée 20 %"]
    assert march[0].lines[3].account_label == "TVA collectée 10 %"
    assert march[0].label == f"Facture {invoice.number} Durand Industrie"
    # What the client's account says it owes is what the invoice says is left to pay: April
    # alone says it, its opening balances carrying March over.
    balances = account_balances(april)
    assert balances[("411000", aux)] == invoice.balance == D("5310.00")


def letters(entries):
    return [
        (entry.piece_ref, line.lettering, line.lettering_date)
        for entry in entries
        for line in entry.lines
        if line.account == "411000"
    ]


def test_lines_that_cancel_out_on_the_client_s_account_share_a_lettering_code(
    tenant_a, in_tenant, billed
):
    """The bounced cheque and its reversal cancel out: lettered A on 2 April, not in an
    export closed before. The invoice, its credit note and the transfer are lettered once
    the rest (5 310) is paid on 10 April."""
    invoice, note, client = billed
    spring = (date(2026, 3, 1), date(2026, 4, 30))
    with in_tenant(tenant_a):
        march = journal_entries(tenant=tenant_a, date_from=MARCH[0], date_to=MARCH[1])
        before = journal_entries(tenant=tenant_a, date_from=spring[0], date_to=spring[1])
        payment_record(
            client=client,
            amount=D("5310.00"),
            received_on=date(2026, 4, 10),
            by=None,
            reference="VIR 456",
            allocations=[(invoice, D("5310.00"))],
        )
        after = journal_entries(tenant=tenant_a, date_from=spring[0], date_to=spring[1])
    assert {code for _ref, code, _day in letters(march)} == {""}
    cheque = ("A", date(2026, 4, 2))
    assert letters(before) == [
        (invoice.number, "", None),
        ("VIR 123", "", None),
        (note.number, "", None),
        ("CHQ 9", *cheque),
        ("CHQ 9", *cheque),
    ]
    paid = ("B", date(2026, 4, 10))
    assert letters(after) == [
        (invoice.number, *paid),
        ("VIR 123", *paid),
        (note.number, *paid),
        ("CHQ 9", *cheque),
        ("CHQ 9", *cheque),
        ("VIR 456", *paid),
    ]


def test_rates_sharing_one_vat_account_share_its_label(tenant_a, in_tenant, billed):
    with in_tenant(tenant_a):
        chart_update(tenant=tenant_a, by=None, vat_account_10="445711", bank_journal="BAN")
        march = journal_entries(tenant=tenant_a, date_from=MARCH[0], date_to=MARCH[1])
    assert [(line.account, line.account_label) for line in march[0].lines[2:]] == [
        ("445711", "TVA collectée"),
        ("445711", "TVA collectée"),
    ]
    assert [entry.number for entry in march] == ["VT000001", "BAN000001", "VT000002", "BAN000002"]


def test_the_period_includes_its_first_and_last_days(tenant_a, in_tenant, billed):
    with in_tenant(tenant_a):
        first = journal_entries(
            tenant=tenant_a, date_from=date(2026, 3, 2), date_to=date(2026, 3, 2)
        )
        between = journal_entries(
            tenant=tenant_a, date_from=date(2026, 3, 3), date_to=date(2026, 3, 19)
        )
        last = journal_entries(
            tenant=tenant_a, date_from=date(2026, 3, 3), date_to=date(2026, 3, 20)
        )
    assert [e.piece_ref for e in first] == [billed[0].number]
    assert movements(between) == []
    assert [e.piece_ref for e in movements(last)] == ["VIR 123"]


def test_an_indemnity_is_owed_to_the_insurer_and_leaves_the_client_s_debt_whole(
    tenant_a, in_tenant, member
):
    """Invoice 7 200 TTC unpaid, claim indemnified 4 900 on 1 September: the bank gets it,
    the insurer's account holds it; the client still owes 7 200."""
    policy, invoice = covered_invoice(tenant_a)
    collector = member(tenant_a, "collector").user
    with in_tenant(tenant_a):
        run_insurance(tenant=tenant_a, today=DUE + timedelta(days=150))
        claim = claim_file(
            claim=Claim.objects.get(),
            actor=collector,
            filed_on=date(2026, 8, 30),
            insurer_reference="SIN-77",
        )
        claim_indemnify(
            claim=claim,
            actor=collector,
            amount=D("4900.00"),
            paid_on=date(2026, 9, 1),
            today=date(2026, 9, 2),
        )
        september = journal_entries(
            tenant=tenant_a, date_from=date(2026, 9, 1), date_to=date(2026, 9, 30)
        )
        year = journal_entries(
            tenant=tenant_a, date_from=date(2026, 1, 1), date_to=date(2026, 12, 31)
        )
    assert summary(movements(september)) == [
        (
            "AS000001",
            date(2026, 9, 1),
            "SIN-77",
            [
                ("512000", "", D("4900.00"), D("0")),
                ("467000", insurer_aux(policy.insurer), D("0"), D("4900.00")),
            ],
        ),
    ]
    assert movements(september)[0].lines[1].aux_label == "Assureur Test"
    assert account_balances(year)[("411000", client_aux(invoice.client))] == D("7200.00")


def test_an_unbalanced_entry_stops_the_export(tenant_a, in_tenant, billed):
    with in_tenant(tenant_a):
        entries = journal_entries(tenant=tenant_a, date_from=MARCH[0], date_to=MARCH[1])
    entries[0].lines.pop()
    with pytest.raises(ValidationError, match="VT000001"):
        check_balanced(entries)


def test_a_period_missing_an_end_inverted_or_too_long_is_refused(tenant_a, in_tenant):
    cases = [
        (None, date(2026, 3, 1), "date_from"),
        (date(2026, 3, 1), None, "date_to"),
        (date(2026, 3, 2), date(2026, 3, 1), "date_to"),
        (date(2024, 1, 1), date(2026, 1, 1), "date_to"),
    ]
    with in_tenant(tenant_a):
        for date_from, date_to, field in cases:
            with pytest.raises(ValidationError) as refused:
                journal_entries(tenant=tenant_a, date_from=date_from, date_to=date_to)
            assert field in refused.value.message_dict


def test_each_company_exports_only_its_own_entries(tenant_a, tenant_b, in_tenant):
    mine = make_invoice(tenant_a, issued_on=date(2026, 3, 2))
    theirs = make_invoice(tenant_b, issued_on=date(2026, 3, 2))
    with in_tenant(tenant_a):
        a = journal_entries(tenant=tenant_a, date_from=MARCH[0], date_to=MARCH[1])
    with in_tenant(tenant_b):
        b = journal_entries(tenant=tenant_b, date_from=MARCH[0], date_to=MARCH[1])
    assert [e.piece_ref for e in a] == [mine.number]
    assert [e.piece_ref for e in b] == [theirs.number]
    assert a[0].lines[0].aux_account != b[0].lines[0].aux_account


def test_the_chart_refuses_an_account_that_is_not_digits_or_not_of_its_class(tenant_a, in_tenant):
    with in_tenant(tenant_a):
        for changes, field in [
            ({"client_account": "41A000"}, "client_account"),
            ({"sales_account": "41"}, "sales_account"),
            ({"sales_account": "411000"}, "sales_account"),
            ({"bank_journal": "VT"}, "bank_journal"),
            ({"bank_journal": "bq"}, "bank_journal"),
        ]:
            with pytest.raises(ValidationError) as refused:
                chart_update(tenant=tenant_a, by=None, **changes)
            assert field in refused.value.message_dict, changes
        assert not ChartOfAccounts.objects.exists()
