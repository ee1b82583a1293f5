"""The Django admin, for platform operators: every tenant, read-only on tenant-owned rows."""

import pytest
from django.core import mail
from django.urls import reverse

from portage.models import AuditEntry, Membership, Tenant, User
from portage.permissions import Role
from portage.tenancy import PLATFORM_DB, all_tenants
from tests.factories import UserFactory, totp_secret_for, valid_siren

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", PLATFORM_DB])


@pytest.fixture
def operator_client(client):
    operator = UserFactory(is_staff=True, is_superuser=True)
    totp_secret_for(operator)
    client.force_login(operator)
    return client


def new_company(siren):
    return {
        "legal_name": "Côte Portage SAS",
        "slug": "cote",
        "siren": siren,
        "vat_number": "",
        "admin_name": "Paul Côte",
        "admin_email": "paul@cote.example",
    }


def test_an_operator_registers_a_company_and_its_first_administrator_is_invited(
    operator_client,
):
    response = operator_client.post(reverse("admin:portage_tenant_add"), new_company(valid_siren()))
    assert response.status_code == 302
    tenant = Tenant.objects.get(slug="cote")
    membership = all_tenants(Membership).get(tenant=tenant)
    assert (membership.user.email, membership.role) == ("paul@cote.example", Role.ADMIN)
    assert sorted(all_tenants(AuditEntry).values_list("action", flat=True)) == [
        "membership.created",
        "tenant.created",
    ]
    assert [m.to for m in mail.outbox] == [["paul@cote.example"]]


def test_a_company_whose_administrator_cannot_be_emailed_is_not_created(operator_client, settings):
    settings.EMAIL_BACKEND = "tests.portage.test_team.UnreachableMailServer"
    response = operator_client.post(
        reverse("admin:portage_tenant_add"), new_company(valid_siren()), follow=True
    )
    assert response.status_code == 200
    assert not Tenant.objects.filter(slug="cote").exists()
    assert not User.objects.filter(email="paul@cote.example").exists()
    assert any("rien n'a été enregistré" in str(m) for m in response.context["messages"])


def test_an_operator_sees_every_companys_members_but_cannot_edit_them(
    operator_client, tenant_a, tenant_b, member
):
    first = member(tenant_a, Role.CONSULTANT)
    second = member(tenant_b, Role.CONSULTANT)
    listing = operator_client.get(reverse("admin:portage_membership_changelist"))
    assert listing.status_code == 200
    assert {first.user.email, second.user.email} <= {
        m.user.email for m in listing.context["cl"].result_list
    }
    detail = operator_client.get(reverse("admin:portage_membership_change", args=[first.pk]))
    assert detail.status_code == 200
    assert not detail.context["has_change_permission"]


def test_a_company_is_never_deleted_from_the_admin(operator_client, tenant_a):
    response = operator_client.post(
        reverse("admin:portage_tenant_delete", args=[tenant_a.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert Tenant.objects.filter(pk=tenant_a.pk).exists()


def test_a_member_without_platform_rights_is_kept_out_of_the_admin(client, tenant_a, member):
    client.force_login(member(tenant_a, Role.CONSULTANT).user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert User.objects.filter(is_staff=True).count() == 0
