"""Clients and missions through the API: changed and created by the same rules as the pages."""

import pytest

from portage.tenancy import PLATFORM_DB
from tests.factories import make_client, make_consultant
from tests.helpers import caller

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", PLATFORM_DB])


def test_a_client_is_changed_by_patch_with_the_same_checks(tenant_a):
    writer = caller(tenant_a)
    client = make_client(tenant_a)
    path = f"/api/v1/clients/{client.pk}/"
    changed = writer.patch(path, {"city": "Marseille", "payment_days": 45}, format="json")
    assert changed.status_code == 200, changed.json()
    assert (changed.json()["city"], changed.json()["legal_name"]) == (
        "Marseille",
        client.legal_name,
    )
    too_long = writer.patch(path, {"payment_days": 90}, format="json")
    assert too_long.status_code == 400 and "payment_days" in too_long.json()["error"]["fields"]
    bad_siren = writer.patch(path, {"siren": "123456789"}, format="json")
    assert "siren" in bad_siren.json()["error"]["fields"]
    assert caller(tenant_a, "read").patch(path, {"city": "Nice"}, format="json").status_code == 403
    assert writer.get(path).json()["city"] == "Marseille"


def test_a_mission_takes_the_client_s_terms_and_is_listed_by_consultant(tenant_a, tenant_b):
    writer = caller(tenant_a)
    client = make_client(tenant_a, payment_days=45)
    consultant, other = make_consultant(tenant_a), make_consultant(tenant_a)
    body = {
        "consultant": consultant.pk,
        "client": client.pk,
        "title": "Audit SI",
        "start_date": "2026-04-01",
        "daily_rate": "650.00",
    }
    created = writer.post("/api/v1/missions/", body, format="json")
    assert created.status_code == 201, created.json()
    assert (created.json()["payment_terms"], created.json()["payment_days"]) == ("net", 45)
    backwards = writer.post("/api/v1/missions/", {**body, "end_date": "2026-01-01"}, format="json")
    assert backwards.status_code == 422
    elsewhere = writer.post(
        "/api/v1/missions/", {**body, "consultant": make_consultant(tenant_b).pk}, format="json"
    )
    assert "consultant" in elsewhere.json()["error"]["fields"]
    mine = writer.get("/api/v1/missions/", {"consultant": consultant.pk}).json()["results"]
    assert [row["id"] for row in mine] == [created.json()["id"]]
    assert writer.get("/api/v1/missions/", {"consultant": other.pk}).json()["results"] == []
    assert caller(tenant_b).get("/api/v1/missions/").json()["results"] == []
