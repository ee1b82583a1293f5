"""After the indemnity: the consultant is credited with their share of it, and a client
payment received later is shared with the insurer (subrogation); the consultant keeps only
the company's share, and a reversed payment gives it back."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from consultants.models import LedgerEntry
from insurance.models import Claim, Subrogation
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


def test_a_payment_after_the_indemnity_is_shared_with_the_insurer(tenant_a, in_tenant, member):
    """Invoice 7 200 TTC (6 000 HT), consultant fee 10 %. Claim: expected 4 900 (6 000 × 90 %
    − 500), indemnified in full on 2026-09-01: the consultant is credited 4 900 − 10 %
    = 4 410. Insurer's share of later recoveries: 4 900 / 6 000 = 81,666… %.
    The client then pays 1 200 TTC: to the insurer 1 200 × 81,6667 % = 980,00, the company
    keeps 220,00. Billing credits the consultant for the 1 200 collected (1 000 HT − 10 %
    = 900); the insurer's 980 TTC is taken back: 980 × 6 000 / 7 200 = 816,67 HT − 81,67
    fee = 735,00. Net for this payment: 900 − 735 = 165 (= 220 TTC → 183,33 HT − 18,33)."""
    _policy, invoice = covered_invoice(tenant_a)
    collector = member(tenant_a, "collector").user
    with in_tenant(tenant_a):
        run_insurance(tenant=tenant_a, today=DUE + timedelta(days=150))
        claim = Claim.objects.get()
        claim_file(claim=claim, actor=collector, filed_on=date(2026, 8, 30))
        claim_indemnify(
            claim=claim,
            actor=collector,
            amount=D("4900.00"),
            paid_on=date(2026, 9, 1),
            today=date(2026, 9, 2),
        )
        assert ledger(invoice) == {"indemnity_received": D("4410.00")}
        payment = payment_record(
            client=invoice.client,
            amount=D("1200.00"),
            received_on=date(2026, 9, 10),
            by=collector,
            allocations=[(invoice, D("1200.00"))],
        )
        shared = Subrogation.objects.get()
        assert (shared.to_insurer, shared.to_company) == (D("980.00"), D("220.00"))
        assert ledger(invoice) == {
            "indemnity_received": D("4410.00"),
            "invoice_collected": D("1000.00"),
            "management_fee": D("-100.00"),
            "recovery_after_indemnity": D("-735.00"),
        }
        payment_reverse(payment=payment, reason="Chèque impayé", by=collector)
        assert ledger(invoice) == {"indemnity_received": D("4410.00")}
        assert Subrogation.objects.get().undone


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
