"""The webhooks API: endpoints and deliveries for read-write keys, with the page's rules."""

from datetime import date

import pytest

from portage.permissions import Role
from portage.tenancy import PLATFORM_DB, tenant_context
from tests.factories import make_invoice, make_member
from tests.helpers import api, key_for
from webhooks import dispatch
from webhooks.models import Delivery, Endpoint

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", PLATFORM_DB])

BODY = {
    "url": "https://compta.example/hooks",
    "description": "Compta",
    "events": ["invoice.issued", "invoice.paid"],
}


def test_a_read_write_key_registers_an_endpoint_and_gets_its_secret(tenant_a):
    _key, full = key_for(tenant_a, "write")
    response = api(full).post("/api/v1/webhook-endpoints/", BODY, format="json")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["secret"].startswith("whsec_") and created["is_active"] is True
    with tenant_context(tenant_a):
        endpoint = Endpoint.objects.get()
    assert (endpoint.url, endpoint.events, endpoint.secret) == (
        BODY["url"],
        ["invoice.issued", "invoice.paid"],
        created["secret"],
    )
    listed = api(full).get("/api/v1/webhook-endpoints/").json()["results"]
    assert [row["id"] for row in listed] == [endpoint.pk]


def test_a_read_key_sees_no_webhook(tenant_a):
    _key, read = key_for(tenant_a, "read")
    assert api(read).get("/api/v1/webhook-endpoints/").status_code == 403
    assert api(read).get("/api/v1/webhook-deliveries/").status_code == 403


def test_only_an_admin_s_session_reaches_the_webhooks(client, tenant_a):
    client.force_login(make_member(tenant_a, Role.ACCOUNTANT).user)
    assert client.get("/api/v1/webhook-endpoints/").status_code == 403
    client.force_login(make_member(tenant_a, Role.ADMIN).user)
    assert client.get("/api/v1/webhook-endpoints/").status_code == 200


def test_bad_input_is_a_400_naming_the_fields(tenant_a):
    _key, full = key_for(tenant_a, "write")
    response = api(full).post(
        "/api/v1/webhook-endpoints/",
        {"url": "not a url", "events": ["invoice.lost"]},
        format="json",
    )
    assert response.status_code == 400
    assert {"url", "events"} <= set(response.json()["error"]["fields"])
    empty = api(full).post("/api/v1/webhook-endpoints/", {**BODY, "events": []}, format="json")
    assert empty.status_code == 400 and "events" in empty.json()["error"]["fields"]


def test_an_endpoint_is_changed_disabled_and_deleted(tenant_a):
    _key, full = key_for(tenant_a, "write")
    pk = api(full).post("/api/v1/webhook-endpoints/", BODY, format="json").json()["id"]
    path = f"/api/v1/webhook-endpoints/{pk}/"
    changed = api(full).patch(path, {"events": ["claim.filed"], "is_active": False}, format="json")
    assert changed.status_code == 200, changed.json()
    assert (changed.json()["events"], changed.json()["is_active"]) == (["claim.filed"], False)
    assert changed.json()["disabled_reason"]
    assert api(full).patch(path, {"is_active": True}, format="json").json()["is_active"] is True
    assert api(full).delete(path).status_code == 204
    with tenant_context(tenant_a):
        assert not Endpoint.objects.exists()


def test_deliveries_are_listed_with_their_log_and_replayed(tenant_a, receiver):
    receiver.status = 503
    _key, full = key_for(tenant_a, "write")
    body = {**BODY, "url": receiver.url}
    pk = api(full).post("/api/v1/webhook-endpoints/", body, format="json").json()["id"]
    make_invoice(tenant_a, issued_on=date(2026, 3, 2))
    rows = api(full).get(f"/api/v1/webhook-deliveries/?endpoint={pk}").json()["results"]
    assert [(row["event"]["type"], row["status"]) for row in rows] == [
        ("invoice.issued", "pending")
    ]
    delivery_id = rows[0]["id"]
    dispatch.deliver(tenant=tenant_a, delivery_id=delivery_id)
    read = api(full).get(f"/api/v1/webhook-deliveries/{delivery_id}/").json()
    assert (read["attempts"], read["last_status_code"]) == (1, 503)
    assert [row["status_code"] for row in read["log"]] == [503]
    replayed = api(full).post(f"/api/v1/webhook-deliveries/{delivery_id}/replay/")
    assert replayed.status_code == 200
    assert (replayed.json()["status"], replayed.json()["attempts"]) == ("pending", 0)
    assert api(full).get("/api/v1/webhook-deliveries/?status=dead").json()["results"] == []


def test_a_ping_is_a_delivery_of_its_own(tenant_a):
    _key, full = key_for(tenant_a, "write")
    pk = api(full).post("/api/v1/webhook-endpoints/", BODY, format="json").json()["id"]
    response = api(full).post(f"/api/v1/webhook-endpoints/{pk}/ping/")
    assert response.status_code == 201 and response.json()["event"]["type"] == "ping"
    with tenant_context(tenant_a):
        assert Delivery.objects.count() == 1


def test_the_other_company_s_endpoints_and_deliveries_are_not_found(tenant_a, tenant_b):
    _key, full_a = key_for(tenant_a, "write")
    _key, full_b = key_for(tenant_b, "write")
    pk = api(full_b).post("/api/v1/webhook-endpoints/", BODY, format="json").json()["id"]
    assert api(full_a).get(f"/api/v1/webhook-endpoints/{pk}/").status_code == 404
    assert api(full_a).post(f"/api/v1/webhook-endpoints/{pk}/ping/").status_code == 404
    assert api(full_a).get("/api/v1/webhook-endpoints/").json()["results"] == []
    assert api(full_b).get("/api/v1/webhook-deliveries/").json()["results"] == []
