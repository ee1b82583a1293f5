"""`manage.py seed_demo`: two companies, one user per role each, credentials printed."""

import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from portage.models import Membership, Tenant, User
from portage.permissions import Role
from portage.tenancy import tenant_context

pytestmark = pytest.mark.django_db


def seed(capsys):
    call_command("seed_demo", "--password", "demo-pass-2026")
    return capsys.readouterr().out


def test_it_creates_two_companies_with_one_user_per_role(capsys):
    seed(capsys)
    tenants = list(Tenant.objects.order_by("slug"))
    assert [t.slug for t in tenants] == ["alpine", "horizon"]
    for tenant in tenants:
        with tenant_context(tenant):
            roles = sorted(
                Membership.objects.exclude(user__email__startswith="cabinet@").values_list(
                    "role", flat=True
                )
            )
        assert roles == sorted(Role.values)


def test_it_prints_every_sign_in_and_can_run_twice(capsys):
    first = seed(capsys)
    second = seed(capsys)
    assert first == second
    emails = re.findall(r"^\s+(\S+@\S+)\s+demo-pass-2026", first, re.MULTILINE)
    assert len(emails) == 10
    assert User.objects.count() == 10


def test_the_printed_credentials_sign_in(capsys, client):
    seed(capsys)
    response = client.post(
        reverse("account_login"),
        {"login": "consultant@horizon.example", "password": "demo-pass-2026"},
    )
    assert response.status_code == 302
    page = client.get(reverse("dashboard"))
    assert page.context["active_tenant"].slug == "horizon"


def test_the_shared_accountant_sees_both_companies(capsys, client):
    seed(capsys)
    client.post(
        reverse("account_login"),
        {"login": "cabinet@expertise.example", "password": "demo-pass-2026"},
    )
    page = client.get(reverse("dashboard"))
    assert len(page.context["user_memberships"]) == 2
