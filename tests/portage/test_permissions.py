"""Every view checks the role through one helper; the accountant reads and never writes."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from portage.permissions import ROLE_PERMISSIONS, Perm, Role
from tests.factories import make_member

pytestmark = pytest.mark.django_db

PROJECT_PACKAGES = {
    "portage",
    "consultants",
    "invoices",
    "dunning",
    "insurance",
    "webhooks",
    "accounting",
}


def project_views(patterns=None, prefix=""):
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            yield from project_views(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            module = getattr(entry.callback, "__module__", "") or ""
            if module.split(".")[0] in PROJECT_PACKAGES:
                yield prefix + str(entry.pattern), entry.callback


def test_every_project_view_declares_who_may_open_it():
    views = list(project_views())
    assert len(views) >= 10
    unguarded = [path for path, view in views if not hasattr(view, "required_permission")]
    assert unguarded == []


def test_the_accountant_role_grants_no_change():
    assert not {Perm.MANAGE_COMPANY, Perm.MANAGE_TEAM} & ROLE_PERMISSIONS[Role.ACCOUNTANT]


@pytest.mark.parametrize(
    ("role", "url_name", "status"),
    [
        (Role.CONSULTANT, "team", 403),
        (Role.CONSULTANT, "company", 403),
        (Role.CONSULTANT, "audit_log", 403),
        (Role.COLLECTOR, "company", 200),
        (Role.COLLECTOR, "company_edit", 403),
        (Role.COLLECTOR, "member_invite", 403),
        (Role.ACCOUNTANT, "team", 200),
        (Role.ACCOUNTANT, "audit_log", 200),
        (Role.ACCOUNTANT, "member_invite", 403),
        (Role.ACCOUNTANT, "company_edit", 403),
        (Role.ADMIN, "member_invite", 200),
        (Role.ADMIN, "company_edit", 200),
    ],
)
def test_pages_open_by_role(signed_in, tenant_a, role, url_name, status):
    client = signed_in(make_member(tenant_a, role))
    assert client.get(reverse(url_name)).status_code == status


def test_an_accountant_cannot_change_a_role_by_posting(signed_in, tenant_a, in_tenant):
    accountant = make_member(tenant_a, Role.ACCOUNTANT)
    consultant = make_member(tenant_a, Role.CONSULTANT)
    response = signed_in(accountant).post(
        reverse("member_detail", args=[consultant.pk]), {"role": Role.ADMIN}
    )
    assert response.status_code == 403
    with in_tenant(tenant_a):
        consultant.refresh_from_db()
    assert consultant.role == Role.CONSULTANT


def test_the_navigation_shows_only_what_the_role_may_open(signed_in, tenant_a):
    page = signed_in(make_member(tenant_a, Role.CONSULTANT)).get(reverse("dashboard"))
    assert reverse("team").encode() not in page.content
    assert reverse("audit_log").encode() not in page.content
