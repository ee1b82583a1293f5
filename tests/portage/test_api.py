"""The REST API's foundation: API keys (hashed, scoped, revocable), each company's data
only, one error shape, cursor pagination, throttling, and a schema without warnings."""

from datetime import date

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from portage.api.auth import ApiKeyRateThrottle
from portage.api.keys import api_key_revoke
from portage.models import ApiKey
from portage.permissions import Role
from portage.tenancy import PLATFORM_DB, tenant_context
from tests.factories import make_invoice, make_member, valid_siren
from tests.helpers import api, key_for

# Keys are found across companies through the platform connection: it must see them
# committed, as in production.
pytestmark = pytest.mark.django_db(transaction=True, databases=["default", PLATFORM_DB])


def test_a_key_is_stored_hashed_and_finds_its_company(tenant_a):
    _key, full = key_for(tenant_a)
    secret = full.rsplit("_", 1)[1]
    with tenant_context(tenant_a):
        stored = ApiKey.objects.get()
    assert secret not in stored.key_hash and full.startswith(f"ptg_{stored.prefix}_")
    invoice = make_invoice(tenant_a, issued_on=date(2026, 3, 2))
    response = api(full).get("/api/v1/invoices/")
    assert response.status_code == 200
    assert [row["number"] for row in response.json()["results"]] == [invoice.number]
    with tenant_context(tenant_a):
        assert ApiKey.objects.get().last_used_at is not None


def test_a_key_of_one_company_gets_404_for_the_other_s_objects(tenant_a, tenant_b):
    _key, full_a = key_for(tenant_a)
    invoice_b = make_invoice(tenant_b, issued_on=date(2026, 3, 2))
    response = api(full_a).get(f"/api/v1/invoices/{invoice_b.pk}/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert api(full_a).get(f"/api/v1/clients/{invoice_b.client_id}/").status_code == 404
    assert api(full_a).get("/api/v1/invoices/").json()["results"] == []


def test_a_revoked_or_unknown_key_answers_401_in_one_error_shape(tenant_a):
    key, full = key_for(tenant_a)
    with tenant_context(tenant_a):
        api_key_revoke(key=key, by=key.created_by)
    for attempt in [api(full), api("ptg_nothing_here"), api()]:
        response = attempt.get("/api/v1/clients/")
        assert response.status_code == 401
        error = response.json()["error"]
        assert set(error) == {"code", "message", "fields"} and error["message"]


def test_a_read_key_cannot_write_a_read_write_key_creates_with_the_same_rules(tenant_a):
    _key, read = key_for(tenant_a, "read")
    _key, write = key_for(tenant_a, "write")
    body = {
        "legal_name": "Durand Industrie",
        "siren": valid_siren(),
        "address_line1": "1 rue de la Paix",
        "postal_code": "75002",
        "city": "Paris",
    }
    assert api(read).post("/api/v1/clients/", body, format="json").status_code == 403
    created = api(write).post("/api/v1/clients/", body, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["legal_name"] == "Durand Industrie"
    # The service's rules, which the schema cannot state (422): a French client needs its
    # SIREN; a wrong check digit is refused. Nine digits is what the schema states (400).
    bad = api(write).post("/api/v1/clients/", {**body, "siren": "123456789"}, format="json")
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "refused" and "siren" in bad.json()["error"]["fields"]
    missing = api(write).post("/api/v1/clients/", {**body, "siren": ""}, format="json")
    assert missing.status_code == 422 and "siren" in missing.json()["error"]["fields"]
    letters = api(write).post("/api/v1/clients/", {**body, "siren": "ABCDEFGHI"}, format="json")
    assert letters.status_code == 400 and "siren" in letters.json()["error"]["fields"]
    # A SIREN another client holds conflicts with that client: 409, naming the field.
    twice = api(write).post("/api/v1/clients/", body, format="json")
    assert twice.status_code == 409
    assert twice.json()["error"]["code"] == "exists"
    assert "siren" in twice.json()["error"]["fields"]


def test_lists_are_cursor_paginated_and_filterable(tenant_a):
    _key, full = key_for(tenant_a)
    invoices = [make_invoice(tenant_a, issued_on=date(2026, 3, day)) for day in (2, 3, 4)]
    first = api(full).get("/api/v1/invoices/?page_size=2").json()
    assert len(first["results"]) == 2 and first["next"]
    second = api(full).get(first["next"]).json()
    seen = {row["id"] for row in first["results"] + second["results"]}
    assert seen == {invoice.pk for invoice in invoices}
    one = api(full).get(f"/api/v1/invoices/?client={invoices[0].client_id}").json()
    assert [row["id"] for row in one["results"]] == [invoices[0].pk]
    assert api(full).get("/api/v1/invoices/?due_after=not-a-date").status_code == 400


def test_too_many_calls_get_429_with_retry_after(tenant_a, monkeypatch):
    monkeypatch.setattr(ApiKeyRateThrottle, "THROTTLE_RATES", {"api": "3/min"})
    _key, full = key_for(tenant_a)
    client = api(full)
    statuses = [client.get("/api/v1/clients/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get("/api/v1/clients/")
    assert response.json()["error"]["code"] == "throttled"
    assert int(response["Retry-After"]) > 0


def test_the_browser_session_uses_the_member_s_role(client, tenant_a):
    collector = make_member(tenant_a, Role.COLLECTOR)
    client.force_login(collector.user)
    assert client.get("/api/v1/invoices/").status_code == 200
    consultant = make_member(tenant_a, Role.CONSULTANT)
    client.force_login(consultant.user)
    assert client.get("/api/v1/invoices/").status_code == 403


def test_the_schema_and_the_docs_are_served_without_a_cdn(client):
    schema = client.get(reverse("api_schema"))
    assert schema.status_code == 200 and b"/api/v1/invoices/" in schema.content
    docs = client.get(reverse("api_docs")).content.decode()
    assert "swagger" in docs.lower()
    assert "cdn" not in docs and "https://" not in docs.replace("https://swagger.io", "")


def test_every_detail_endpoint_answers_404_for_the_other_company_s_ids(tenant_a, tenant_b):
    """Walks the API's routes: every object of company B, asked for with company A's key,
    is not found, whatever the method. Each app's tests/<app>/api_world.py makes B's
    objects; a route without one fails here."""
    from importlib import import_module

    from django.urls import URLPattern, get_resolver

    from portage.api.urls import APPS

    _key, full_a = key_for(tenant_a, "write")
    ids = {}
    for app in APPS:
        ids.update(import_module(f"tests.{app}.api_world").build(tenant_b))
    api_patterns = next(
        entry for entry in get_resolver().url_patterns if str(entry.pattern) == "api/v1/"
    ).url_patterns
    walked = 0
    for entry in api_patterns:
        if not isinstance(entry, URLPattern) or "(?P<pk>" not in str(entry.pattern):
            continue
        basename = entry.callback.initkwargs["basename"].removeprefix("api-")
        path = reverse(entry.name, kwargs={"pk": ids[basename]})
        for method in ("get", "post", "put", "patch", "delete"):
            response = getattr(api(full_a), method)(path, {}, format="json")
            assert response.status_code in (404, 405), (method, path, response.status_code)
        walked += 1
    assert walked >= 4


def test_error_messages_follow_accept_language_french_by_default(tenant_a):
    _key, full = key_for(tenant_a)
    french = api(full).get("/api/v1/invoices/999999/")
    english = api(full).get("/api/v1/invoices/999999/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.8")
    assert french.status_code == english.status_code == 404
    assert french.json()["error"]["code"] == english.json()["error"]["code"] == "not_found"
    assert french.json()["error"]["message"] != english.json()["error"]["message"]
    assert english.json()["error"]["message"] == "Not found."
    assert english["Content-Language"] == "en" and french["Content-Language"] == "fr"


def test_a_path_no_route_matches_answers_in_the_error_shape(tenant_a):
    _key, full = key_for(tenant_a)
    for path in ("/api/v1/invoices/0.5/", "/api/v1/nothing-here/", "/api/v2/"):
        response = api(full).get(path)
        assert response.status_code == 404, path
        assert response["Content-Type"] == "application/json"
        assert response.json()["error"]["code"] == "not_found"
    # A write too, though it carries no CSRF token: the API takes no session's form.
    strict = APIClient(enforce_csrf_checks=True)
    strict.credentials(HTTP_AUTHORIZATION=f"Bearer {full}")
    response = strict.post("/api/v1/invoices/0.5/issue/", {}, format="json")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"


def test_an_idempotent_post_holds_a_large_upload_and_refuses_a_huge_one(tenant_a):
    _key, full = key_for(tenant_a, "write")
    # Over Django's default 2.5 MB but within a bank statement's 5 MB: read and judged.
    large = api(full).post(
        "/api/v1/clients/",
        {"legal_name": "x" * 3_000_000},
        format="json",
        HTTP_IDEMPOTENCY_KEY="large-1",
    )
    assert large.status_code == 400 and "legal_name" in large.json()["error"]["fields"]
    huge = api(full).post(
        "/api/v1/clients/",
        {"legal_name": "x" * 7_000_000},
        format="json",
        HTTP_IDEMPOTENCY_KEY="huge-1",
    )
    assert huge.status_code == 413 and huge.json()["error"]["code"] == "too_large"


def test_every_route_answers_options_without_error(tenant_a):
    """OPTIONS (what a browser's preflight or a client library asks) on every API route,
    as the company's own write key: never a 5xx."""
    import re

    from django.urls import get_resolver

    _key, full = key_for(tenant_a, "write")
    api_patterns = next(
        entry for entry in get_resolver().url_patterns if str(entry.pattern) == "api/v1/"
    ).url_patterns
    answers = {}
    for entry in api_patterns:
        route = re.sub(r"\(\?P<\w+>[^)]*\)", "1", str(entry.pattern)).strip("^$")
        if "format" in route:
            continue
        answers[route] = api(full).options(f"/api/v1/{route.replace(chr(92), '')}").status_code
    assert len(answers) >= 20
    assert all(status < 500 for status in answers.values()), answers
