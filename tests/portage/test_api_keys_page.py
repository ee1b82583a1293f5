"""The admin's API keys page: a key is shown once, stored as its SHA-256, and revoked
after a confirmation, after which it no longer authenticates."""

import hashlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from portage.api.keys import api_key_create, api_key_revoke, authenticate, key_found, key_read
from portage.models import ApiKey, Tenant
from portage.permissions import Role
from portage.tenancy import PLATFORM_DB, tenant_context
from tests.factories import make_member

pytestmark = pytest.mark.django_db
# `authenticate` looks keys up through the platform connection: the data must be committed.
with_platform = pytest.mark.django_db(transaction=True, databases=["default", PLATFORM_DB])


def create(client, name="Compta", scope="read"):
    return client.post(reverse("api_key_create"), {"name": name, "scope": scope})


def key_of(tenant, in_tenant, name="Compta"):
    admin = make_member(tenant, Role.ADMIN).user
    with in_tenant(tenant):
        return api_key_create(tenant=tenant, name=name, scope="read", by=admin)


def test_the_new_key_is_shown_once_in_the_response_to_the_post(signed_in, admin_a):
    response = create(signed_in(admin_a))
    assert response.status_code == 200
    full_key = response.context["full_key"]
    assert full_key.startswith("ptg_")
    assert response.content.decode().count(full_key) == 1
    assert "no-store" in response["Cache-Control"]


def test_only_the_sha256_of_the_secret_is_stored(signed_in, admin_a, in_tenant):
    full_key = create(signed_in(admin_a), scope="write").context["full_key"]
    prefix, secret = full_key.removeprefix("ptg_").split("_", 1)
    with in_tenant(admin_a.tenant):
        key = ApiKey.objects.get()
    assert (key.prefix, key.scope, key.created_by) == (prefix, "write", admin_a.user)
    assert key.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    stored = [str(getattr(key, field.attname)) for field in ApiKey._meta.concrete_fields]
    assert not any(secret in value for value in stored)


def test_the_new_key_is_in_no_url_redirect_or_session(signed_in, admin_a):
    client = signed_in(admin_a)
    response = create(client)
    secret = response.context["full_key"].rsplit("_", 1)[1]
    assert response.status_code == 200
    assert "Location" not in response
    assert not any(secret in str(value) for value in client.session.values())


def test_the_list_later_shows_the_prefix_but_not_the_key(signed_in, admin_a):
    client = signed_in(admin_a)
    full_key = create(client).context["full_key"]
    prefix, secret = full_key.removeprefix("ptg_").split("_", 1)
    page = client.get(reverse("api_key_list"))
    assert page.status_code == 200
    assert secret not in page.content.decode()
    assert f"ptg_{prefix}_…" in page.content.decode()
    assert [key.name for key in page.context["active_keys"]] == ["Compta"]


def test_a_key_without_a_name_is_a_form_error_and_creates_nothing(signed_in, admin_a, in_tenant):
    response = create(signed_in(admin_a), name="   ")
    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    assert "full_key" not in response.context
    with in_tenant(admin_a.tenant):
        assert not ApiKey.objects.exists()


def test_without_keys_the_list_shows_an_empty_state(signed_in, admin_a):
    response = signed_in(admin_a).get(reverse("api_key_list"))
    assert response.status_code == 200
    assert response.context["active_keys"] == [] and response.context["revoked_keys"] == []


def test_a_collector_gets_403_on_every_api_key_page(signed_in, tenant_a, in_tenant):
    key, _full_key = key_of(tenant_a, in_tenant)
    client = signed_in(make_member(tenant_a, Role.COLLECTOR))
    assert client.get(reverse("api_key_list")).status_code == 403
    assert create(client).status_code == 403
    assert client.get(reverse("api_key_revoke", args=[key.pk])).status_code == 403
    assert client.post(reverse("api_key_revoke", args=[key.pk])).status_code == 403
    with in_tenant(tenant_a):
        assert ApiKey.objects.count() == 1
        assert ApiKey.objects.get().revoked_at is None


@with_platform
def test_another_company_s_key_is_404_and_not_listed(signed_in, admin_a, tenant_b, in_tenant):
    key_b, full_key_b = key_of(tenant_b, in_tenant, name="Beta compta")
    client = signed_in(admin_a)
    assert client.get(reverse("api_key_revoke", args=[key_b.pk])).status_code == 404
    assert client.post(reverse("api_key_revoke", args=[key_b.pk])).status_code == 404
    assert authenticate(full_key_b) == key_b
    assert "Beta compta" not in client.get(reverse("api_key_list")).content.decode()


@with_platform
def test_revoking_asks_for_confirmation_then_the_key_no_longer_authenticates(
    signed_in, admin_a, in_tenant
):
    client = signed_in(admin_a)
    full_key = create(client).context["full_key"]
    key = authenticate(full_key)
    assert isinstance(key, ApiKey)
    url = reverse("api_key_revoke", args=[key.pk])

    assert client.get(url).status_code == 200
    assert authenticate(full_key) == key

    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == reverse("api_key_list")
    assert authenticate(full_key) is None
    page = client.get(reverse("api_key_list"))
    assert page.context["active_keys"] == []
    assert [revoked.pk for revoked in page.context["revoked_keys"]] == [key.pk]
    with in_tenant(admin_a.tenant):
        assert ApiKey.objects.get().revoked_at is not None


@with_platform
def test_a_revoked_key_answers_401_at_once(signed_in, admin_a, client):
    full_key = create(signed_in(admin_a)).context["full_key"]
    key = authenticate(full_key)
    signed_in(admin_a).post(reverse("api_key_revoke", args=[key.pk]))
    client.logout()
    response = client.get("/api/v1/clients/", HTTP_AUTHORIZATION=f"Bearer {full_key}")
    assert response.status_code == 401


@with_platform
def test_revoking_an_already_revoked_key_goes_back_to_the_list(signed_in, admin_a):
    client = signed_in(admin_a)
    key = authenticate(create(client).context["full_key"])
    url = reverse("api_key_revoke", args=[key.pk])
    client.post(url)
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == reverse("api_key_list")


@with_platform
def test_an_api_call_reads_its_key_in_the_transaction_it_runs_in(admin_a, tenant_b, in_tenant):
    key_of(tenant_b, in_tenant, name="Beta compta")
    with in_tenant(admin_a.tenant):
        _key, full_key = api_key_create(
            tenant=admin_a.tenant, name="Compta", scope="read", by=admin_a.user
        )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {full_key}")
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/clients/")
    assert response.status_code == 200
    statements = [query["sql"] for query in queries.captured_queries]
    # The prefix is looked up first, outside any company; then one transaction, in which the
    # key is read with its company (no query of the company alone) before the view's work.
    assert "portage_api_key_candidates" in statements[0]
    assert statements.count("BEGIN") == 1 and statements[1] == "BEGIN"
    assert statements[2].startswith("SELECT set_config('app.tenant_id'")
    assert '"portage_apikey"' in statements[3] and '"portage_tenant"' in statements[3]
    assert not any(sql.startswith('SELECT "portage_tenant"') for sql in statements)


@with_platform
def test_a_key_revoked_between_its_lookup_and_its_reading_authenticates_nothing(admin_a, in_tenant):
    with in_tenant(admin_a.tenant):
        key, full_key = api_key_create(
            tenant=admin_a.tenant, name="Compta", scope="read", by=admin_a.user
        )
    key_id, tenant_id = key_found(full_key)
    assert (key_id, tenant_id) == (key.pk, admin_a.tenant.pk)
    with in_tenant(admin_a.tenant):
        api_key_revoke(key=key, by=admin_a.user)
    with tenant_context(Tenant(pk=tenant_id)):
        assert key_read(key_id) is None
    assert key_found(full_key) is None
