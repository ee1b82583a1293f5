"""Every view checks the role through one helper; the accountant reads and never writes."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from portage.api.auth import RolePermission
from portage.api.base import TenantViewSet
from portage.permissions import ROLE_PERMISSIONS, Perm, Role
from tests.factories import make_member
from tests.helpers import project_apps

pytestmark = pytest.mark.django_db

# What a page view may declare besides a permission (see portage.permissions).
OPEN_TO = {"signed_in", "public"}


def project_views(patterns=None, prefix=""):
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            yield from project_views(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            module = getattr(entry.callback, "__module__", "") or ""
            if module.split(".")[0] in project_apps():
                yield prefix + str(entry.pattern), entry.callback


def unguarded(path, view):
    """Why `view` lets a user in without checking their role ("" when it checks it)."""
    viewset = getattr(view, "cls", None)
    if viewset is None:
        declared = getattr(view, "required_permission", None)
        if declared in OPEN_TO or declared in set(Perm):
            return ""
        return f"{path}: no permission_required/signed_in/public decorator ({declared!r})"
    # An API route: RolePermission checks the viewset's read_perm and write_perm on every
    # call; `required_permission` alone is set for any TenantViewSet, checked or not.
    if not issubclass(viewset, TenantViewSet):
        return f"{path}: {viewset.__name__} is not a TenantViewSet"
    problems = [
        f"{name} is {getattr(viewset, name)!r}, not a permission"
        for name in ("read_perm", "write_perm")
        if getattr(viewset, name) not in set(Perm)
    ]
    instance = viewset(**view.initkwargs)
    for action in sorted(set(view.actions.values())):
        instance.action = action
        if not any(isinstance(check, RolePermission) for check in instance.get_permissions()):
            problems.append(f"its action {action!r} does not check the role (RolePermission)")
    return f"{path} ({viewset.__name__}): {'; '.join(problems)}" if problems else ""


def test_every_project_view_declares_who_may_open_it():
    views = list(project_views())
    # The walk reaches every app's pages and the API, so no view escapes it.
    assert {view.__module__.split(".")[0] for _path, view in views} == set(project_apps())
    assert len([path for path, _view in views if path.startswith("api/")]) >= 40
    problems = [problem for path, view in views if (problem := unguarded(path, view))]
    assert problems == [], "\n".join(problems)


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
