"""The permission matrix: every route of the URL conf (pages and API), opened by every role
of the company and by a stranger, with the ids of the company's own objects and of another
company's. The expected answer comes from the permission the view declares and
`ROLE_PERMISSIONS`; a route whose path names an object needs an entry in `PATH_OBJECTS`
(or, for the API, its basename in the app's `api_world`), so a new view cannot slip by.

- own company: 200 (or a redirect) when the role grants the permission, 403 when not;
- another company's object: 404 for a role that may open the page; a role that may not
  gets the same 403 as for its own company, so the answer never tells the id exists;
- a stranger (not signed in): the sign-in page for pages, 401/403 for the API;
- a POST-only route answers 405 to a GET, whoever asks;
- API keys stand for roles on the API: a read key reads (webhooks excepted) and may not
  write, a read-write key writes, and neither sees another company's objects.
POSTs are sent only where they must be refused (a role without the permission, another
company's object): the matrix never performs a real write.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from portage.api.keys import api_key_create
from portage.permissions import ROLE_PERMISSIONS, Perm, Role
from portage.tenancy import PLATFORM_DB, tenant_context
from tests.factories import TenantFactory
from tests.helpers import project_apps
from tests.security import world

# The batches the world runs see its rows through the platform connection, committed.
pytestmark = pytest.mark.django_db(transaction=True, databases=["default", PLATFORM_DB])

# Routes of libraries, with who they are for. Any other route outside the project fails.
THIRD_PARTY = {
    "admin/": "Django admin: staff users of the platform only (checked below)",
    "accounts/": "allauth: sign-in, password reset, MFA; open to anyone by design",
    "i18n/": "the language switch; open to anyone by design",
    "api/v1/schema/": "the OpenAPI schema, public documentation",
    "api/v1/docs/": "the API documentation page, public",
}
ROLES = [Role.CONSULTANT, Role.COLLECTOR, Role.ACCOUNTANT, Role.ADMIN]
ANONYMOUS = "anonymous"

# Page route name → the kind of object (a key of world.build's ids) each path kwarg names.
PATH_OBJECTS = {
    "member_detail": {"pk": "membership"},
    "member_deactivate": {"pk": "membership"},
    "member_reactivate": {"pk": "membership"},
    "audit_entry": {"pk": "audit-entry"},
    "api_key_revoke": {"pk": "api-key"},
    "webhook_endpoint": {"pk": "webhook-endpoint"},
    "webhook_edit": {"pk": "webhook-endpoint"},
    "webhook_disable": {"pk": "webhook-endpoint"},
    "webhook_enable": {"pk": "webhook-endpoint"},
    "webhook_delete": {"pk": "webhook-endpoint"},
    "webhook_ping": {"pk": "webhook-endpoint"},
    "webhook_delivery": {"pk": "webhook-delivery"},
    "webhook_replay": {"pk": "webhook-delivery"},
    "consultant_detail": {"pk": "consultant"},
    "client_detail": {"pk": "client"},
    "client_edit": {"pk": "client"},
    "mission_create": {"pk": "client"},
    "invoice_detail": {"pk": "invoice"},
    "invoice_edit": {"pk": "invoice"},
    "invoice_delete": {"pk": "invoice"},
    "invoice_issue": {"pk": "invoice"},
    "credit_note_create": {"pk": "invoice"},
    "invoice_pdf": {"pk": "invoice"},
    "payment_detail": {"pk": "payment"},
    "payment_allocate": {"pk": "payment"},
    "payment_reverse": {"pk": "payment"},
    "bank_line_detail": {"pk": "bank-line"},
    "bank_line_dismiss": {"pk": "bank-line"},
    "portal_invoice": {"pk": "own-invoice"},
    "portal_invoice_pdf": {"pk": "own-invoice"},
    "dunning_client": {"pk": "client"},
    "dunning_case_action": {"pk": "late-invoice", "action": "pause"},
    "dunning_contact_log": {"pk": "client"},
    "dunning_policy_edit": {"pk": "dunning-policy"},
    "dunning_client_settings": {"pk": "client"},
    "dunning_letter_pdf": {"pk": "letter"},
    "dunning_letter_pdf_retry": {"pk": "letter"},
    "dunning_letter_posted": {"pk": "letter"},
    "dunning_letter_regenerate": {"pk": "letter"},
    "dunning_letter_withdraw": {"pk": "letter"},
    "dunning_message": {"pk": "message"},
    "dunning_message_retry": {"pk": "message"},
    "dunning_litigation": {"pk": "litigation"},
    "dunning_litigation_document": {"pk": "litigation", "document": "litigation-document"},
    "dunning_portal_log": {"pk": "own-invoice"},
    "insurance_insurer_edit": {"pk": "insurer"},
    "insurance_policy_detail": {"pk": "insurance-policy"},
    "insurance_policy_edit": {"pk": "insurance-policy"},
    "insurance_client_limits": {"pk": "client"},
    "insurance_limit_request": {"pk": "client"},
    "insurance_limit_decide": {"pk": "client"},
    "insurance_claim": {"pk": "claim"},
    "insurance_claim_csv": {"pk": "claim"},
    "insurance_claim_pdf": {"pk": "claim"},
    "insurance_declaration_sent": {"pk": "declaration"},
    "insurance_declaration_csv": {"pk": "declaration"},
    "insurance_declaration_pdf": {"pk": "declaration"},
    "insurance_premiums": {"pk": "insurance-policy"},
    "insurance_blank_test": {"pk": "blank-test"},
    "insurance_blank_test_csv": {"pk": "blank-test"},
    "insurance_prospect_reply": {"pk": "prospect"},
    "einvoicing_webhook": {"token": "einvoicing-webhook-token"},
    "einvoicing_submission_retry": {"pk": "einvoicing-submission"},
    "einvoicing_submission_document": {"pk": "einvoicing-submission"},
    "einvoicing_submission_uploaded": {"pk": "einvoicing-submission"},
    "einvoicing_report_answer": {"pk": "einvoicing-payment-report"},
    "einvoicing_status_enter": {"pk": "invoice"},
    "einvoicing_directory_check": {"pk": "client"},
    "einvoicing_directory_enter": {"pk": "client"},
}
# API routes a read-only key may not even read: webhooks show their signing secrets
# (webhooks/api.py, ReadWriteKeyOnly).
WRITE_KEY_ONLY = ("api-webhook-",)
# Public routes whose path carries a company's secret token instead of an object id: the
# e-invoicing platform's webhook. The token names the company, so there is no "another
# company's object" to hide; an unsigned call answers 401 (tests/einvoicing).
BY_TOKEN = {"einvoicing_webhook"}
# Literal path values that name no object.
LITERAL_KWARGS = {"action"}
# Routes that need a query string to answer (the period of the accounting exports).
QUERIES = {
    "api-accounting-entries": "?date_from=2026-01-01&date_to=2026-12-31",
    "api-accounting-fec-list": "?date_from=2026-01-01&date_to=2026-12-31",
}


def routes(patterns=None, prefix=""):
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            yield from routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


# Routes that take what no other route took and answer 404 to everyone
# (tests/portage/test_api.py checks it): no object, no permission to test.
CATCH_ALL = {"api_path_not_found"}


def project_routes():
    """(route name, path kwargs' kinds, read permission, write permission) for every route
    the project serves; fails on a route nobody accounted for."""
    found, unaccounted = [], []
    for path, entry in routes():
        if entry.name in CATCH_ALL:
            continue
        module = (getattr(entry.callback, "__module__", "") or "").split(".")[0]
        if module not in project_apps():
            if not any(path.startswith(prefix) for prefix in THIRD_PARTY):
                unaccounted.append(f"{path}: a library's route; say who it is for in THIRD_PARTY")
            continue
        declared = entry.callback.required_permission
        kwargs = sorted(entry.pattern.regex.groupindex)
        if isinstance(declared, str) and declared.startswith("api:"):
            read, write = (Perm(value) for value in declared.removeprefix("api:").split("/"))
            kinds = {}
            if kwargs:
                kinds = {"pk": entry.callback.initkwargs["basename"].removeprefix("api-")}
        else:
            read = write = declared
            kinds = PATH_OBJECTS.get(entry.name)
            if kinds is None and kwargs:
                unaccounted.append(f"{path} ({entry.name}): add its objects to PATH_OBJECTS")
                continue
            kinds = kinds or {}
        found.append((entry.name, kinds, read, write))
    assert unaccounted == [], "\n".join(unaccounted)
    return found


def url(name, kinds, ids):
    kwargs = {
        key: kind if key in LITERAL_KWARGS else ids[kind] for key, kind in (kinds or {}).items()
    }
    return reverse(name, kwargs=kwargs) + QUERIES.get(name, "")


def may(role, perm):
    if perm == "public":
        return True
    if role == ANONYMOUS:
        return False
    return perm == "signed_in" or perm in ROLE_PERMISSIONS[role]


def refused(role, is_api):
    """How a role without the permission is turned away."""
    if role == ANONYMOUS:
        return {401, 403} if is_api else {302}
    return {403}


@pytest.fixture
def worlds(db):
    own_tenant, other_tenant = TenantFactory(), TenantFactory()
    own, members = world.build(own_tenant)
    other, _ = world.build(other_tenant)
    return own, other, members


def sign_in(client, members, role):
    if role == ANONYMOUS:
        client.logout()
    else:
        client.force_login(members[role].user)


def first_allowed(perm):
    """The role that opens another company's objects for this permission, if any: the
    answer of a role without it does not depend on the object (403 before any lookup)."""
    return next((role for role in reversed(ROLES) if may(role, perm)), None)


def test_every_route_answers_each_role_as_its_permission_says(client, worlds):
    own, other, members = worlds
    table = project_routes()
    assert len(table) >= 100
    wrong = []

    def check(method, role, name, path, expected, headers=None):
        status = getattr(client, method)(path, {}, headers=headers).status_code
        if status not in expected:
            wrong.append(f"{role} {method.upper()} {name} {path}: {status}, expected {expected}")

    for role in [ANONYMOUS, *ROLES]:
        sign_in(client, members, role)
        for name, kinds, read, write in table:
            is_api = name.startswith("api-")
            own_path = url(name, kinds, own)
            if may(role, read):
                check("get", role, name, own_path, {200, 302, 405})
            else:
                check("get", role, name, own_path, refused(role, is_api) | {405})
            # Writes are sent only where they must be refused.
            if role != ANONYMOUS and not may(role, write):
                check("post", role, name, own_path, refused(role, is_api) | {405})
            if name in BY_TOKEN:
                check("post", role, name, url(name, kinds, other), {401})
                continue
            if kinds and role == first_allowed(read):
                check("get", role, name, url(name, kinds, other), {404, 405})
            if kinds and role == first_allowed(write):
                check("post", role, name, url(name, kinds, other), {404, 405})

    # The API's other principal: a key, whose scope (read, or read-write) stands for a role.
    client.logout()
    admin = members[Role.ADMIN]
    for scope in ("read", "write"):
        with tenant_context(admin.tenant):
            _key, secret = api_key_create(
                tenant=admin.tenant, name=scope, scope=scope, by=admin.user
            )
        headers = {"Authorization": f"Bearer {secret}"}
        principal = f"{scope} key"
        for name, kinds, _read, _write in table:
            if not name.startswith("api-"):
                continue
            own_path = url(name, kinds, own)
            if scope == "read" and name.startswith(WRITE_KEY_ONLY):
                check("get", principal, name, own_path, {403, 405}, headers)
                continue
            check("get", principal, name, own_path, {200, 405}, headers)
            if scope == "read":
                check("post", principal, name, own_path, {403, 405}, headers)
            if kinds:
                check("get", principal, name, url(name, kinds, other), {404, 405}, headers)
                if scope == "write":
                    check("post", principal, name, url(name, kinds, other), {404, 405}, headers)
    assert wrong == [], "\n".join(wrong)


@pytest.mark.django_db  # no batch here: a plain transaction, faster to undo
@pytest.mark.parametrize("role", ROLES)
def test_no_company_role_opens_the_django_admin(client, tenant_a, member, role):
    client.force_login(member(tenant_a, role).user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]
