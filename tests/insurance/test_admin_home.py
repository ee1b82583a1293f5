"""The administrator's home shows the insured share of what clients owe and the claims'
indemnities, expected and received; worked by hand."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from insurance.models import Claim
from insurance.selectors.figures import claims_expected_and_received, insured_share
from insurance.services.batch import run_insurance
from insurance.services.claims import claim_file
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
