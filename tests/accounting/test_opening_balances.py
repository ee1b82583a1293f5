"""An export starts with the opening balances (à-nouveaux, journal AN) of the clients' and
the insurer's accounts, piece by piece, so that the lettering holds across periods; and
each account number has one label in the FEC. Figures worked by hand."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounting.fec import FIELDS, fec_export
from accounting.selectors import account_balances, client_aux, insurer_aux, journal_entries
from accounting.services import chart_update
from insurance.models import Claim
from insurance.services.batch import run_insurance
from insurance.services.claims import claim_file, claim_indemnify
from invoices.services.payments import payment_record
from tests.accounting.conftest import EXPENSES
from tests.factories import day_line, make_invoice
from tests.insurance.test_cover_and_claims import DUE, covered_invoice

pytestmark = pytest.mark.django_db
D = Decimal
APRIL = (date(2026, 4, 1), date(2026, 4, 30))


def opening(entries):
    return [
        (entry.number, entry.date, entry.piece_ref, entry.piece_date, lines(entry))
        for entry in entries
        if entry.journal == "AN"
    ]


def lines(entry):
    return [(line.account, line.aux_account, line.debit, line.credit) for line in entry.lines]


def client_letters(entries):
    return [
        (entry.journal, entry.piece_ref, line.lettering, line.lettering_date)
        for entry in entries
        for line in entry.lines
        if line.account == "411000"
    ]


def test_the_pieces_still_open_on_the_first_day_are_brought_forward_one_by_one(
    tenant_a, in_tenant, billed
):
    """On the evening of 31 March the client owes 7 420 − 2 000 − 110 − 500 = 4 810: the
    invoice, the transfer, the credit note and the cheque (not bounced yet) are all open,
    none of their groups cancels out. April opens with the four, each at its own amount
    against 890, dated 1 April with its piece's date; the cheque bounces on 2 April."""
    invoice, note, client = billed
    aux = client_aux(client)
    with in_tenant(tenant_a):
        april = journal_entries(tenant=tenant_a, date_from=APRIL[0], date_to=APRIL[1])

    assert opening(april) == [
        (
            "AN000001",
            date(2026, 4, 1),
            invoice.number,
            date(2026, 3, 2),
            [("411000", aux, D("7420.00"), D("0")), ("890000", "", D("0"), D("7420.00"))],
        ),
        (
            "AN000002",
            date(2026, 4, 1),
            "VIR 123",
            date(2026, 3, 20),
            [("411000", aux, D("0"), D("2000.00")), ("890000", "", D("2000.00"), D("0"))],
        ),
        (
            "AN000003",
            date(2026, 4, 1),
            note.number,
            date(2026, 3, 25),
            [("411000", aux, D("0"), D("110.00")), ("890000", "", D("110.00"), D("0"))],
        ),
        (
            "AN000004",
            date(2026, 4, 1),
            "CHQ 9",
            date(2026, 3, 26),
            [("411000", aux, D("0"), D("500.00")), ("890000", "", D("500.00"), D("0"))],
        ),
    ]
    assert [entry.journal for entry in april] == ["AN", "AN", "AN", "AN", "BQ"]
    assert april[0].label == f"À-nouveau Facture {invoice.number} Durand Industrie"
    assert (april[0].journal_label, april[0].lines[1].account_label) == (
        "À-nouveaux",
        "Bilan d'ouverture",
    )
    balances = account_balances(april)
    # 4 810 brought forward, + 500 of the bounced cheque: 5 310, what the invoice says.
    assert balances[("411000", aux)] == invoice.balance == D("5310.00")
    assert balances[("890000", "")] == D("-4810.00")


def test_a_payment_in_the_next_period_letters_the_pieces_brought_forward(
    tenant_a, in_tenant, billed
):
    """The rest, 5 310, paid on 10 April: the invoice, the transfer and the credit note
    brought forward and the new transfer cancel out (7 420 − 2 000 − 110 − 5 310 = 0),
    lettered B on 10 April; the cheque brought forward and its reversal, A on 2 April.
    May opens with nothing: every group was settled by 30 April."""
    invoice, note, client = billed
    with in_tenant(tenant_a):
        payment_record(
            client=client,
            amount=D("5310.00"),
            received_on=date(2026, 4, 10),
            by=None,
            reference="VIR 456",
            allocations=[(invoice, D("5310.00"))],
        )
        april = journal_entries(tenant=tenant_a, date_from=APRIL[0], date_to=APRIL[1])
        may = journal_entries(
            tenant=tenant_a, date_from=date(2026, 5, 1), date_to=date(2026, 5, 31)
        )

    paid, cheque = ("B", date(2026, 4, 10)), ("A", date(2026, 4, 2))
    assert client_letters(april) == [
        ("AN", invoice.number, *paid),
        ("AN", "VIR 123", *paid),
        ("AN", note.number, *paid),
        ("AN", "CHQ 9", *cheque),
        ("BQ", "CHQ 9", *cheque),
        ("BQ", "VIR 456", *paid),
    ]
    assert may == []


def test_a_fiscal_year_opens_with_last_year_s_unpaid_invoice_and_the_insurer_s_indemnity(
    tenant_a, in_tenant, member
):
    """Invoice 7 200 TTC of 2 March 2026, unpaid; the insurer paid 4 900 on 1 September
    2026. The 2027 file opens with both: 411 debit 7 200 for the client, 467 credit 4 900
    for the insurer, 890 the other side of each (− 7 200 + 4 900 = − 2 300)."""
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
        year = journal_entries(
            tenant=tenant_a, date_from=date(2027, 1, 1), date_to=date(2027, 12, 31)
        )

    aux, insurer = client_aux(invoice.client), insurer_aux(policy.insurer)
    assert opening(year) == [
        (
            "AN000001",
            date(2027, 1, 1),
            invoice.number,
            date(2026, 3, 2),
            [("411000", aux, D("7200.00"), D("0")), ("890000", "", D("0"), D("7200.00"))],
        ),
        (
            "AN000002",
            date(2027, 1, 1),
            "SIN-77",
            date(2026, 9, 1),
            [("467000", insurer, D("0"), D("4900.00")), ("890000", "", D("4900.00"), D("0"))],
        ),
    ]
    assert year[1].lines[0].aux_label == "Assureur Test"
    assert account_balances(year) == {
        ("411000", aux): D("7200.00"),
        ("467000", insurer): D("-4900.00"),
        ("890000", ""): D("-2300.00"),
    }


def test_an_invoice_paid_next_year_is_lettered_in_next_year_s_file(tenant_a, in_tenant):
    """7 200 TTC issued 15 December 2026, paid 20 January 2027: not lettered in the 2026
    file; in the 2027 file the invoice brought forward and the payment share code A."""
    invoice = make_invoice(tenant_a, issued_on=date(2026, 12, 15))
    with in_tenant(tenant_a):
        payment_record(
            client=invoice.client,
            amount=D("7200.00"),
            received_on=date(2027, 1, 20),
            by=None,
            reference="VIR 2027",
            allocations=[(invoice, D("7200.00"))],
        )
        year_2026 = journal_entries(
            tenant=tenant_a, date_from=date(2026, 1, 1), date_to=date(2026, 12, 31)
        )
        year_2027 = journal_entries(
            tenant=tenant_a, date_from=date(2027, 1, 1), date_to=date(2027, 12, 31)
        )

    assert client_letters(year_2026) == [("VT", invoice.number, "", None)]
    assert client_letters(year_2027) == [
        ("AN", invoice.number, "A", date(2027, 1, 20)),
        ("BQ", "VIR 2027", "A", date(2027, 1, 20)),
    ]
    assert account_balances(year_2027)[("411000", client_aux(invoice.client))] == D("0.00")


def test_one_company_s_opening_balances_are_not_another_s(tenant_a, tenant_b, in_tenant):
    mine = make_invoice(tenant_a, issued_on=date(2026, 3, 2))
    make_invoice(tenant_b, issued_on=date(2026, 3, 2))
    with in_tenant(tenant_a):
        april = journal_entries(tenant=tenant_a, date_from=APRIL[0], date_to=APRIL[1])
    assert [entry.piece_ref for entry in april] == [mine.number]


# One label per account number


def test_each_account_number_has_one_label_in_the_fec(tenant_a, in_tenant, billed):
    """Invoice at 20 % and 10 %, credit note at 10 %, payments and a reversal, in a file
    that opens with à-nouveaux: every CompteNum comes with one CompteLib, every CompAuxNum
    with one CompAuxLib, every JournalCode with one JournalLib."""
    _invoice, _note, client = billed
    make_invoice(tenant_a, client=client, lines=[day_line(), EXPENSES], issued_on=date(2026, 4, 3))
    with in_tenant(tenant_a):
        _name, content = fec_export(tenant=tenant_a, date_from=APRIL[0], date_to=APRIL[1])
    rows = [
        dict(zip(FIELDS, line.split("\t"), strict=True))
        for line in content.decode("iso8859_15").split("\r\n")[1:-1]
    ]
    labels = {}
    for row in rows:
        for number, label in (
            ("CompteNum", "CompteLib"),
            ("CompAuxNum", "CompAuxLib"),
            ("JournalCode", "JournalLib"),
        ):
            labels.setdefault((number, row[number]), set()).add(row[label])
    assert {key: names for key, names in labels.items() if len(names) > 1} == {}
    assert labels[("CompteNum", "445711")] == {"TVA collectée 20 %"}
    assert labels[("CompteNum", "445712")] == {"TVA collectée 10 %"}
    assert labels[("JournalCode", "AN")] == {"À-nouveaux"}


def test_one_account_for_every_vat_rate_carries_the_shared_label(tenant_a, in_tenant):
    make_invoice(tenant_a, lines=[day_line(), EXPENSES], issued_on=date(2026, 3, 2))
    with in_tenant(tenant_a):
        chart_update(
            tenant=tenant_a,
            by=None,
            vat_account_20="445710",
            vat_account_10="445710",
            vat_account_5_5="445710",
            vat_account_2_1="445710",
        )
        (entry,) = journal_entries(
            tenant=tenant_a, date_from=date(2026, 3, 1), date_to=date(2026, 3, 31)
        )
    assert [(line.account, line.account_label, line.credit) for line in entry.lines[2:]] == [
        ("445710", "TVA collectée", D("1200.00")),
        ("445710", "TVA collectée", D("10.00")),
    ]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"vat_account_20": "411000"}, "vat_account_20"),
        ({"insurer_account": "411000"}, "insurer_account"),
        ({"vat_account_10": "467000"}, "vat_account_10"),
        ({"opening_account": "445711"}, "opening_account"),
        ({"opening_journal": "VT"}, "opening_journal"),
    ],
)
def test_the_chart_refuses_a_number_serving_two_purposes(tenant_a, in_tenant, changes, field):
    with in_tenant(tenant_a):
        with pytest.raises(ValidationError) as refused:
            chart_update(tenant=tenant_a, by=None, **changes)
    assert field in refused.value.message_dict
