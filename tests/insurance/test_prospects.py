"""The prospect check: the consultant asks in the portal, the collector answers, the
consultant sees the answer; another company sees nothing of it."""

from decimal import Decimal

import pytest
from django.urls import reverse

from insurance.models import ProspectCheck
from portage.models import Membership
from portage.permissions import Role
from tests.factories import make_consultant, make_member, valid_siren

pytestmark = pytest.mark.django_db


def consultant_member(tenant, in_tenant):
    consultant = make_consultant(tenant)
    with in_tenant(tenant):
        return Membership.objects.get(user=consultant.user)


def test_a_consultant_asks_and_sees_the_collector_s_answer(client, tenant_a, in_tenant, signed_in):
    consultant = consultant_member(tenant_a, in_tenant)
    browser = signed_in(consultant)
    siren = valid_siren()
    bad = browser.post(
        reverse("insurance_portal_prospects"),
        {"siren": "123456789", "name": "Prospect SA", "amount": "12000"},
    )
    assert bad.status_code == 200  # a wrong SIREN is a form error, not a 500
    with in_tenant(tenant_a):
        assert not ProspectCheck.objects.exists()
    response = browser.post(
        reverse("insurance_portal_prospects"),
        {"siren": siren, "name": "Prospect SA", "amount": "12000", "note": "6 mois"},
    )
    assert response.status_code == 302
    with in_tenant(tenant_a):
        check = ProspectCheck.objects.get()
    collector = make_member(tenant_a, Role.COLLECTOR)
    client.force_login(collector.user)
    assert "Prospect SA" in client.get(reverse("insurance_prospect_list")).content.decode()
    client.post(
        reverse("insurance_prospect_reply", args=[check.pk]),
        {"status": "granted", "granted_amount": "8000", "note": "Limite partielle"},
    )
    with in_tenant(tenant_a):
        check.refresh_from_db()
    assert (check.status, check.granted_amount) == ("partial", Decimal("8000.00"))
    client.force_login(consultant.user)
    page = client.get(reverse("insurance_portal_prospects")).content.decode()
    assert "Limite partielle" in page and "8\u202f000,00" in page


def test_another_company_cannot_see_or_answer(client, tenant_a, tenant_b, in_tenant, signed_in):
    consultant = consultant_member(tenant_a, in_tenant)
    signed_in(consultant).post(
        reverse("insurance_portal_prospects"),
        {"siren": valid_siren(), "name": "Prospect SA", "amount": "1000"},
    )
    with in_tenant(tenant_a):
        check = ProspectCheck.objects.get()
    other = make_member(tenant_b, Role.COLLECTOR)
    client.force_login(other.user)
    assert "Prospect SA" not in client.get(reverse("insurance_prospect_list")).content.decode()
    response = client.post(
        reverse("insurance_prospect_reply", args=[check.pk]), {"status": "refused"}
    )
    assert response.status_code == 404
    consultant_b = consultant_member(tenant_b, in_tenant)
    client.force_login(consultant_b.user)
    assert client.get(reverse("insurance_prospect_list")).status_code == 403
