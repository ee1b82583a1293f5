"""The company's pay-out rule, set on the company page."""

import pytest
from django.urls import reverse

from portage.models import Tenant
from tests.portage.test_company import identity

pytestmark = pytest.mark.django_db


def test_the_admin_sets_the_day_the_pay_is_paid_out(signed_in, admin_a):
    response = signed_in(admin_a).post(
        reverse("company_edit"), identity(payout_months_after="0", payout_day="10")
    )
    assert response.status_code == 302
    tenant = Tenant.objects.get(pk=admin_a.tenant_id)
    assert (tenant.payout_months_after, tenant.payout_day) == (0, 10)
    page = signed_in(admin_a).get(reverse("company")).content.decode()
    assert "10" in page


@pytest.mark.parametrize("day", ["0", "32"])
def test_a_pay_out_day_outside_the_month_is_refused(signed_in, admin_a, day):
    response = signed_in(admin_a).post(reverse("company_edit"), identity(payout_day=day))
    assert response.status_code == 200
    assert Tenant.objects.get(pk=admin_a.tenant_id).payout_day == 31
