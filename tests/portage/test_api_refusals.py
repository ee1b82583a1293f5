"""How the API refuses, and that its schema says so: 400 for a request that breaks the
schema, 409 for one the object's state forbids, 422 for one a business rule the schema
cannot state refuses, each in the error shape and documented on the operations that give
it; and what the schema can state (types, patterns, bounds) it states, the server holding
to it. Each company's objects stay its own."""

from datetime import date, timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from invoices.models import Client, Invoice
from portage.tenancy import tenant_context
from tests.factories import make_client, make_consultant, make_invoice
from tests.helpers import caller
from webhooks.models import Endpoint

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def operation(schema, method, path):
    return schema["paths"][path][method]


def component(schema, name):
    return schema["components"]["schemas"][name]


def error_shape(response):
    error = response.json()["error"]
    assert set(error) == {"code", "message", "fields"} and error["message"]
    return error


def test_issuing_an_issued_invoice_is_a_409_the_schema_documents(tenant_a, tenant_b, schema):
    issued = make_invoice(tenant_a, issued_on=date(2026, 3, 2))
    other = make_invoice(tenant_b, issued_on=date(2026, 3, 2))
    response = caller(tenant_a).post(f"/api/v1/invoices/{issued.pk}/issue/")
    assert response.status_code == 409
    error = error_shape(response)
    assert error["code"] == "not_a_draft" and issued.number in error["message"]
    # Another company's invoice is not found, whatever its state.
    assert caller(tenant_a).post(f"/api/v1/invoices/{other.pk}/issue/").status_code == 404
    documented = operation(schema, "post", "/api/v1/invoices/{id}/issue/")["responses"]
    assert documented["409"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }
    with tenant_context(tenant_a):
        assert Invoice.objects.get(pk=issued.pk).number == issued.number


def test_resuming_a_case_not_paused_is_a_409_the_same_call_works_once_paused(tenant_a):
    from dunning.models import Case
    from tests.dunning.api_world import LADDER_DAYS, late_invoice

    invoice = late_invoice(tenant_a, days=LADDER_DAYS[:1])
    with tenant_context(tenant_a):
        case = Case.objects.get(invoice=invoice).pk
    writer = caller(tenant_a)
    refused = writer.post(f"/api/v1/dunning-cases/{case}/resume/", {}, format="json")
    assert refused.status_code == 409
    assert error_shape(refused)["code"] == "conflict"
    assert "not paused" in error_shape(refused)["message"]
    until = (timezone.localdate() + timedelta(days=5)).isoformat()
    paused = writer.post(f"/api/v1/dunning-cases/{case}/pause/", {"until": until}, format="json")
    assert paused.status_code == 200, paused.json()
    resumed = writer.post(f"/api/v1/dunning-cases/{case}/resume/", {}, format="json")
    assert resumed.status_code == 200


def test_an_id_naming_no_object_of_the_company_is_a_422_the_schema_documents(
    tenant_a, tenant_b, schema
):
    theirs = make_client(tenant_b)
    body = {"client": theirs.pk, "amount": "100.00", "received_on": "2026-03-05"}
    response = caller(tenant_a).post("/api/v1/payments/", body, format="json")
    assert response.status_code == 422
    error = error_shape(response)
    assert error["code"] == "refused" and error["fields"]["client"] == ["No such client."]
    assert "422" in operation(schema, "post", "/api/v1/payments/")["responses"]
    # Business rules over query parameters the schema requires: documented where they are.
    assert "422" in operation(schema, "get", "/api/v1/accounting/entries/")["responses"]
    assert "422" not in operation(schema, "get", "/api/v1/invoices/")["responses"]


def test_a_duplicate_siren_is_a_409_naming_the_field(tenant_a, tenant_b):
    mine = make_client(tenant_a)
    theirs = make_client(tenant_b)
    body = {
        "legal_name": "Twin",
        "address_line1": "1 rue de la Paix",
        "postal_code": "75002",
        "city": "Paris",
    }
    twin = caller(tenant_a).post("/api/v1/clients/", {**body, "siren": mine.siren}, format="json")
    assert twin.status_code == 409
    error = error_shape(twin)
    assert error["code"] == "exists" and "siren" in error["fields"]
    # Another company's SIREN is no conflict: each company has its own clients.
    own = caller(tenant_a).post("/api/v1/clients/", {**body, "siren": theirs.siren}, format="json")
    assert own.status_code == 201, own.json()
    with tenant_context(tenant_a):
        assert Client.objects.filter(siren=mine.siren).count() == 1


@pytest.mark.parametrize(
    ("path", "method", "body", "field"),
    [
        ("clients", "patch", {"city": 0}, "city"),
        ("consultants", "patch", {"fee_rate": 12.5}, "fee_rate"),
        ("webhook-endpoints", "patch", {"is_active": 0}, "is_active"),
    ],
)
def test_a_value_of_another_json_type_is_a_400_not_converted(tenant_a, path, method, body, field):
    with tenant_context(tenant_a):
        target = {
            "clients": lambda: make_client(tenant_a),
            "consultants": lambda: make_consultant(tenant_a),
            "webhook-endpoints": lambda: Endpoint.objects.create(
                tenant=tenant_a, url="https://hooks.example/p", events=["invoice.paid"]
            ),
        }[path]()
        before = getattr(target, field)
    response = getattr(caller(tenant_a), method)(
        f"/api/v1/{path}/{target.pk}/", body, format="json"
    )
    assert response.status_code == 400
    error = error_shape(response)
    assert error["code"] == "invalid" and list(error["fields"]) == [field]
    assert error["fields"][field][0].startswith("Not a")
    with tenant_context(tenant_a):
        target.refresh_from_db()
        assert getattr(target, field) == before


def test_what_the_schema_can_state_it_states(schema):
    client = component(schema, "ClientRequest")["properties"]
    # Nine (fourteen) digits, or blank: drf-spectacular states the blank as a oneOf branch.
    assert client["siren"]["oneOf"][0]["pattern"] == "^[0-9]{9}$"
    assert client["siret"]["oneOf"][0]["pattern"] == "^[0-9]{14}$"
    assert (client["payment_days"]["minimum"], client["payment_days"]["maximum"]) == (0, 60)
    # Blank once trimmed is refused: the schema's pattern says a character must not be a space.
    assert (
        client["legal_name"]["pattern"].startswith("[^")
        and "\\u0020" in (client["legal_name"]["pattern"])
    )
    dispute = component(schema, "DisputeInputRequest")
    assert dispute["required"] == ["reason"] and dispute["properties"]["reason"]["minLength"] == 1
    chart = component(schema, "ChartRequest")["properties"]
    assert chart["bank_account"]["pattern"] == "^[0-9]{3,20}$"
    assert chart["sales_journal"]["pattern"] == "^[A-Z0-9]{1,10}$"
    # An empty filter is refused: a string filter has at least one character.
    parameters = operation(schema, "get", "/api/v1/webhook-deliveries/")["parameters"]
    event_type = next(p for p in parameters if p["name"] == "event_type")
    assert event_type["schema"]["minLength"] == 1


def test_an_email_with_an_internationalised_domain_is_taken_and_documented(tenant_a, schema):
    client = make_client(tenant_a)
    response = caller(tenant_a).patch(
        f"/api/v1/clients/{client.pk}/",
        {"billing_emails": ["facturation@société.fr"]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["billing_emails"] == ["facturation@société.fr"]
    emails = component(schema, "Client")["properties"]["billing_emails"]
    assert emails["items"]["format"] == "idn-email"
    assert component(schema, "ClientRequest")["properties"]["billing_emails"]["items"][
        "format"
    ] == ("idn-email")
    # The part before @ stays ASCII, and a top-level domain has two characters at least, as
    # Django's check has it: a rule beyond the format, a 422 naming the field.
    for address in ("é@société.fr", "0@0.a"):
        refused = caller(tenant_a).patch(
            f"/api/v1/clients/{client.pk}/", {"billing_emails": [address]}, format="json"
        )
        assert refused.status_code == 422, address
        assert "billing_emails" in error_shape(refused)["fields"]


def test_a_webhook_host_no_dns_name_can_be_is_a_422(tenant_a):
    host = ".".join(["a" * 63] * 5)
    response = caller(tenant_a).post(
        "/api/v1/webhook-endpoints/",
        {"url": f"https://{host}/hook", "events": ["invoice.paid"]},
        format="json",
    )
    assert response.status_code == 422
    assert "url" in error_shape(response)["fields"]
    with tenant_context(tenant_a):
        assert not Endpoint.objects.exists()


@pytest.mark.parametrize("debug", [True, False])
def test_an_id_that_is_no_whole_number_is_a_json_404_debug_on_or_off(tenant_a, debug):
    with override_settings(DEBUG=debug):
        for path in ("/api/v1/invoices/0.5/", "/api/v1/clients/-1.5/", "/api/v1/payments/1e3/"):
            response = caller(tenant_a).get(path)
            assert response.status_code == 404, path
            assert response["Content-Type"] == "application/json", path
            assert error_shape(response)["code"] == "not_found"
