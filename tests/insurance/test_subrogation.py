"""After the indemnity: the consultant is credited with their share of it, and a client
payment received later is shared with the insurer (subrogation); the consultant keeps only
the company's share, and a reversed payment gives it back."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from consultants.models import LedgerEntry
from insurance.models import Claim, Subrogation
from insurance.selectors.claims import insurer_recovered
from insurance.services.batch import run_insurance
from insurance.services.claims import claim_file, claim_indemnify
from invoices.services.payments import payment_record, payment_reverse
from tests.insurance.test_cover_and_claims import DUE, covered_invoice

pytestmark = pytest.mark.django_db
D = Decimal


def ledger(invoice):
    return {
        kind: total
        for kind, total in [
            (
                kind,
                sum(e.amount for e in LedgerEntry.objects.filter(invoice_pk=invoice.pk, kind=kind)),
            )
            for kind in LedgerEntry.Kind.values
        ]
        if total
    }


def indemnified_claim(tenant, collector):
    """Invoice 7 200 TTC (6 000 HT), consultant fee 10 %. Claim: expected 4 900 (6 000 × 90 %
    − 500), indemnified in full on 2026-09-01: the consultant is credited 4 900 − 10 %
    = 4 410."""
    _policy, invoice = covered_invoice(tenant)
    run_insurance(tenant=tenant, today=DUE + timedelta(days=150))
    claim = Claim.objects.get()
    claim_file(claim=claim, actor=collector, filed_on=date(2026, 8, 30))
    claim = claim_indemnify(
        claim=claim,
        actor=collector,
        amount=D("4900.00"),
        paid_on=date(2026, 9, 1),
        today=date(2026, 9, 2),
    )
    return claim, invoice


def pay(invoice, amount, received_on, by):
    return payment_record(
        client=invoice.client,
        amount=D(amount),
        received_on=received_on,
        by=by,
        allocations=[(invoice, D(amount))],
    )


def test_a_payment_after_the_indemnity_is_shared_with_the_insurer(tenant_a, in_tenant, member):
    """The insurer bore 4 900 of the 6 000 HT loss. The client pays 1 200 TTC = 1 000 HT:
    to the insurer 1 000 × 4 900 / 6 000 = 816,67, the company keeps 383,33 (the 200 VAT
    and 183,33). Billing credits the consultant for the 1 200 collected (1 000 HT − 10 %
    = 900); the insurer's 816,67 (excl. VAT, the basis of the indemnity) is taken back
    less its fee: 816,67 − 81,67 = 735,00. Net for this payment: 900 − 735 = 165."""
    collector = member(tenant_a, "collector").user
    with in_tenant(tenant_a):
        _claim, invoice = indemnified_claim(tenant_a, collector)
        assert ledger(invoice) == {"indemnity_received": D("4410.00")}
        payment = pay(invoice, "1200.00", date(2026, 9, 10), collector)
        shared = Subrogation.objects.get()
        assert (shared.to_insurer, shared.to_company) == (D("816.67"), D("383.33"))
        assert ledger(invoice) == {
            "indemnity_received": D("4410.00"),
            "invoice_collected": D("1000.00"),
            "management_fee": D("-100.00"),
            "recovery_after_indemnity": D("-735.00"),
        }
        payment_reverse(payment=payment, reason="Chèque impayé", by=collector)
        assert ledger(invoice) == {"indemnity_received": D("4410.00")}
        assert Subrogation.objects.get().undone


def test_the_whole_balance_paid_in_two_gives_the_insurer_its_indemnity_and_no_more(
    tenant_a, in_tenant, member
):
    """1 200 then 6 000 TTC: the whole 7 200 claimed. The insurer gets 816,67, then
    4 900 − 816,67 = 4 083,33: 4 900 in all, what it paid (not 7 200 × 81,67 % = 5 880).
    The company keeps 383,33 + 1 916,67 = 2 300 (1 200 VAT + the 1 100 it bore).
    The consultant: 4 410 indemnity + 6 000 collected − 600 fee − (735 + 3 675) taken back
    (4 083,33 − 408,33) = 5 400, what the client's payment alone would have given
    (6 000 − 10 %)."""
    collector = member(tenant_a, "collector").user
    with in_tenant(tenant_a):
        claim, invoice = indemnified_claim(tenant_a, collector)
        pay(invoice, "1200.00", date(2026, 9, 10), collector)
        pay(invoice, "6000.00", date(2026, 10, 5), collector)
        shares = list(
            Subrogation.objects.order_by("received_on").values_list("to_insurer", "to_company")
        )
        assert shares == [(D("816.67"), D("383.33")), (D("4083.33"), D("1916.67"))]
        assert insurer_recovered(claim) == claim.indemnity_amount == D("4900.00")
        assert ledger(invoice)["recovery_after_indemnity"] == D("-4410.00")
        assert sum(ledger(invoice).values()) == D("5400.00")


def test_a_payment_before_the_indemnity_is_all_the_company_s(tenant_a, in_tenant, member):
    _policy, invoice = covered_invoice(tenant_a)
    collector = member(tenant_a, "collector").user
    with in_tenant(tenant_a):
        run_insurance(tenant=tenant_a, today=DUE + timedelta(days=150))
        payment_record(
            client=invoice.client,
            amount=D("1200.00"),
            received_on=DUE + timedelta(days=151),
            by=collector,
            allocations=[(invoice, D("1200.00"))],
        )
        assert not Subrogation.objects.exists()
        assert ledger(invoice)["invoice_collected"] == D("1000.00")
