"""Web requests run in the signed-in user's tenant; another tenant's objects answer 404."""

import pytest
from django.urls import reverse

from portage.models import AuditEntry, Membership
from portage.permissions import Role
from portage.tenancy import tenant_context
from tests.factories import UserFactory, make_member

pytestmark = pytest.mark.django_db


def test_the_dashboard_shows_the_members_own_company(signed_in, admin_a, tenant_b):
    response = signed_in(admin_a).get(reverse("dashboard"))
    assert response.status_code == 200
    assert response.context["active_tenant"] == admin_a.tenant
    assert b"Alpha Portage" in response.content
    assert b"Beta Portage" not in response.content


def test_another_tenants_member_page_answers_404(signed_in, admin_a, admin_b):
    response = signed_in(admin_a).get(reverse("member_detail", args=[admin_b.pk]))
    assert response.status_code == 404


def test_another_tenants_audit_entry_answers_404(signed_in, admin_a, tenant_b, in_tenant):
    with in_tenant(tenant_b):
        entry = AuditEntry.objects.create(
            tenant=tenant_b,
            actor_label="B",
            action="x",
            object_type="x",
            object_id="1",
            object_repr="secret of B",
        )
    client = signed_in(admin_a)
    assert client.get(reverse("audit_entry", args=[entry.pk])).status_code == 404
    assert b"secret of B" not in client.get(reverse("audit_log")).content


def test_a_post_to_another_tenants_member_answers_404_and_changes_nothing(
    signed_in, admin_a, tenant_b, in_tenant
):
    other = make_member(tenant_b, Role.CONSULTANT)
    client = signed_in(admin_a)
    response = client.post(reverse("member_deactivate", args=[other.pk]))
    assert response.status_code == 404
    with in_tenant(tenant_b):
        assert Membership.objects.get(pk=other.pk).is_active


def test_a_user_in_two_companies_switches_between_them(client, tenant_a, tenant_b):
    user = UserFactory()
    make_member(tenant_a, Role.ACCOUNTANT, user=user)
    make_member(tenant_b, Role.ACCOUNTANT, user=user)
    client.force_login(user)
    first = client.get(reverse("dashboard"))
    assert first.context["active_tenant"] == tenant_a
    assert {m.tenant for m in first.context["user_memberships"]} == {tenant_a, tenant_b}

    response = client.post(reverse("switch_tenant"), {"tenant": tenant_b.pk})
    assert response.status_code == 302
    assert client.get(reverse("dashboard")).context["active_tenant"] == tenant_b


def test_switching_to_a_company_one_is_not_a_member_of_answers_404(signed_in, admin_a, tenant_b):
    client = signed_in(admin_a)
    assert client.post(reverse("switch_tenant"), {"tenant": tenant_b.pk}).status_code == 404
    assert client.get(reverse("dashboard")).context["active_tenant"] == admin_a.tenant


def test_a_user_without_a_company_is_told_so(client, db):
    client.force_login(UserFactory())
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response.url == reverse("no_company")
    assert client.get(response.url).status_code == 200


def test_a_withdrawn_member_no_longer_reaches_the_company(client, tenant_a, in_tenant):
    membership = make_member(tenant_a, Role.CONSULTANT)
    with in_tenant(tenant_a):
        Membership.objects.filter(pk=membership.pk).update(is_active=False)
    client.force_login(membership.user)
    assert client.get(reverse("dashboard")).url == reverse("no_company")


def test_a_deactivated_company_is_closed_to_its_members(signed_in, admin_a):
    admin_a.tenant.is_active = False
    admin_a.tenant.save()
    assert signed_in(admin_a).get(reverse("dashboard")).url == reverse("no_company")


def test_an_anonymous_visitor_is_sent_to_sign_in(client, db):
    response = client.get(reverse("team"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_each_request_leaves_no_tenant_behind(signed_in, admin_a):
    from portage.tenancy import current_tenant

    signed_in(admin_a).get(reverse("dashboard"))
    assert current_tenant() is None
    with tenant_context(admin_a.tenant):
        assert current_tenant() == admin_a.tenant
