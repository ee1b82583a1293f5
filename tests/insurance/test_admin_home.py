"""The administrator's home shows the insured share of what clients owe and the claims'
indemnities, expected and received; worked by hand."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from insurance.models import Claim, Cover, InsurancePolicy
from insurance.selectors.figures import claims_expected_and_received, insured_share
from insurance.services.batch import run_insurance
from insurance.services.claims import claim_file
from invoices.models import Invoice
from tests.factories import make_client, make_invoice, make_member
from tests.insurance.test_cover_and_claims import DUE, ISSUED, covered_invoice

pytestmark = pytest.mark.django_db
D = Decimal


def test_the_insured_share_and_the_claims(tenant_a, tenant_b, in_tenant, signed_in):
    """A covered invoice of 7 200 TTC (6 000 HT, covered excl. VAT up to 6 000: all of
    it) and an uncovered one of 7 200 (its client has no limit): 7 200 insured of 14 400
    owed, 50 %. Its claim, filed, expects 6 000 × 90 % − 500 = 4 900; nothing received
    yet. Another company's invoice counts for nothing."""
    covered_invoice(tenant_a)
    make_invoice(tenant_a, client=make_client(tenant_a), issued_on=ISSUED)
    covered_invoice(tenant_b)
    collector = make_member(tenant_a, "collector").user
    with in_tenant(tenant_a):
        assert insured_share(tenant=tenant_a) == (D("7200.00"), D("14400.00"), 50)
        run_insurance(tenant=tenant_a, today=DUE + timedelta(days=150))
        claim_file(claim=Claim.objects.get(), actor=collector, filed_on=date(2026, 8, 30))
        assert claims_expected_and_received(tenant=tenant_a) == (D("4900.00"), D("0"))
    page = signed_in(make_member(tenant_a, "admin")).get("/")
    assert "insurance/home/admin.html" in [t.name for t in page.templates]
    assert "50 %" in page.content.decode()


def test_a_partial_cover_insures_its_share_of_what_is_still_owed(tenant_a, in_tenant):
    """Covered excl. VAT for 3 000 of 6 000 HT: half of the invoice. Partly paid, it still
    owes 7 200 − 1 200 = 6 000 TTC, half of which is insured: 3 000. Under a policy covering
    VAT, the same 3 000 over 7 200 TTC: 6 000 × 3 000 / 7 200 = 2 500. A cover of more than
    the invoice insures its whole balance, not more; a paid invoice counts for nothing."""
    policy, invoice = covered_invoice(tenant_a)
    paid = make_invoice(tenant_a, client=invoice.client, issued_on=ISSUED)
    with in_tenant(tenant_a):
        Cover.objects.filter(invoice=invoice).update(covered_amount=D("3000.00"))
        Invoice.objects.filter(pk=invoice.pk).update(
            paid_amount=D("1200.00"), status=Invoice.Status.PARTIALLY_PAID
        )
        Invoice.objects.filter(pk=paid.pk).update(
            paid_amount=paid.total_ttc, status=Invoice.Status.PAID
        )
        assert insured_share(tenant=tenant_a) == (D("3000.00"), D("6000.00"), 50)
        InsurancePolicy.objects.filter(pk=policy.pk).update(covers_vat=True)
        assert insured_share(tenant=tenant_a) == (D("2500.00"), D("6000.00"), 42)
        Cover.objects.filter(invoice=invoice).update(covered_amount=D("90000.00"))
        assert insured_share(tenant=tenant_a) == (D("6000.00"), D("6000.00"), 100)
