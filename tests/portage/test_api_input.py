"""One input rule for every write of the API: a body field the operation does not take is a
400 naming it, never silently ignored. The first test is generated from the URL conf, as the
permission matrix is (test_permissions.py): every POST, PUT and PATCH route, @action routes
included, is called by the company's admin with an otherwise valid body and two fields it
does not take."""

from importlib import import_module

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, get_resolver, reverse
from rest_framework.parsers import JSONParser

from accounting.models import ChartOfAccounts
from dunning.models import Case, Pause
from insurance.models import CreditLimit, InsurancePolicy
from invoices.models import BankStatement, Payment
from portage.api.urls import APPS
from portage.tenancy import PLATFORM_DB, tenant_context
from tests.helpers import caller
from webhooks.models import Endpoint

# Keys are found through the platform connection, and the ladder's letters are written once
# its transaction commits: both need what is committed, as in production.
pytestmark = pytest.mark.django_db(transaction=True, databases=["default", PLATFORM_DB])

WRITE_METHODS = ("post", "put", "patch")
# The write operations of API v1 today: a route that falls out of the walk fails here.
WRITE_OPERATIONS = 30
UNKNOWN = "Unknown field: it cannot be set here."

STATEMENT = (
    "Date opération;Libellé;Tiers;Montant;Devise;Référence\n"
    "06/03/2026;VIR SEPA RECU /MOTIF SOLDE;ACME CONSEIL;800,00;EUR;INPUT-1\n"
).encode()

LINE = {
    "description": "Conseil - mars 2026",
    "quantity": "2",
    "unit": "DAY",
    "unit_price": "600.00",
    "vat_rate": "20.00",
}


def write_operations():
    """(url name, method, action, viewset, basename of a detail route or None) of every
    write route under /api/v1/."""
    api_patterns = next(
        entry for entry in get_resolver().url_patterns if str(entry.pattern) == "api/v1/"
    ).url_patterns
    for entry in api_patterns:
        assert isinstance(entry, URLPattern), entry
        viewset = entry.callback.cls
        for method, action in entry.callback.actions.items():
            if method in WRITE_METHODS:
                detail = "(?P<pk>" in str(entry.pattern)
                basename = entry.callback.initkwargs["basename"] if detail else None
                yield entry.name, method, action, viewset, basename


def valid_bodies(ids):
    """An otherwise valid body per write operation, by (url name, method): what the route
    would accept from the company's admin. One left out gets an empty body."""
    invoice = {"client": ids["client"], "consultant": ids["consultant"], "lines": [LINE]}
    endpoint = {"url": "https://hooks.example/input", "events": ["invoice.paid"]}
    return {
        ("api-accounting-chart", "put"): {"vat_account_20": "445710"},
        ("api-client-list", "post"): {"legal_name": "Durand Industrie SAS"},
        ("api-client-detail", "patch"): {"city": "Lyon"},
        ("api-mission-list", "post"): {
            "consultant": ids["consultant"],
            "client": ids["client"],
            "title": "Audit SI",
            "start_date": "2026-04-01",
            "daily_rate": "650.00",
        },
        ("api-invoice-list", "post"): invoice,
        ("api-invoice-detail", "patch"): {"purchase_order": "BC-2026-118"},
        ("api-invoice-credit-note", "post"): {"reason": "Facture adressée au mauvais client"},
        ("api-payment-list", "post"): {
            "client": ids["client"],
            "amount": "100.00",
            "received_on": "2026-04-02",
        },
        ("api-payment-reverse", "post"): {"reason": "Chèque impayé"},
        ("api-bank-statement-list", "post"): {
            "file": SimpleUploadedFile("releve.csv", STATEMENT, "text/csv")
        },
        ("api-consultant-list", "post"): {
            "email": "claire.martin@example.com",
            "full_name": "Claire Martin",
            "fee_rate": "8.00",
            "start_date": "2026-04-01",
        },
        ("api-consultant-detail", "patch"): {"fee_rate": "9.00"},
        ("api-dunning-case-dispute", "post"): {"reason": "Le client compte 9 jours, pas 10."},
        ("api-dunning-case-pause", "post"): {"kind": "manual", "until": "2026-12-31"},
        ("api-insurance-policy-list", "post"): {
            "insurer": ids["insurer"],
            "number": "CF-2027",
            "starts_on": "2027-01-01",
            "ends_on": "2027-12-31",
        },
        ("api-insurance-policy-detail", "patch"): {"waiting_days": 120},
        ("api-credit-limit-list", "post"): {
            "client": ids["client"],
            "policy": ids["insurance-policy"],
            "amount": "20000.00",
        },
        ("api-credit-limit-decide", "post"): {"status": "granted", "amount": "40000.00"},
        ("api-claim-acknowledge", "post"): {"insurer_reference": "SIN-1"},
        ("api-claim-file-claim", "post"): {"insurer_reference": "SIN-1"},
        ("api-claim-indemnify", "post"): {"amount": "100.00", "paid_on": "2026-09-10"},
        ("api-claim-reject", "post"): {"reason": "Créance contestée"},
        ("api-webhook-endpoint-list", "post"): endpoint,
        ("api-webhook-endpoint-detail", "put"): endpoint,
        ("api-webhook-endpoint-detail", "patch"): {"description": "Outil comptable"},
    }


def world(tenant, apps=APPS):
    """One object of every kind the write routes of `apps` name, by route basename."""
    ids = {}
    for app in apps:
        ids.update(import_module(f"tests.{app}.api_world").build(tenant))
    if "insurance-policy" in ids:
        with tenant_context(tenant):
            ids["insurer"] = InsurancePolicy.objects.get(pk=ids["insurance-policy"]).insurer_id
    return ids


def takes_json(viewset):
    return any(isinstance(parser, JSONParser) for parser in viewset().get_parsers())


def test_every_write_operation_refuses_a_field_it_does_not_take(tenant_a, tenant_b):
    ids = world(tenant_a)
    bodies = valid_bodies(ids)
    extra = {"tenant_id": tenant_b.pk, "unexpected_field": "x"}
    client = caller(tenant_a)
    answers = {}
    # Listed first: a viewset's first GET adds `head` to its route's actions.
    for name, method, action, viewset, basename in list(write_operations()):
        if basename:
            path = reverse(name, kwargs={"pk": ids[basename.removeprefix("api-")]})
        else:
            path = reverse(name)
        body = {**bodies.get((name, method), {}), **extra}
        sent = "json" if takes_json(viewset) else "multipart"
        response = getattr(client, method)(path, body, format=sent)
        answers[f"{method.upper()} {path} ({action})"] = response
    assert len(answers) >= WRITE_OPERATIONS
    accepted = {
        op: answer.status_code for op, answer in answers.items() if answer.status_code < 300
    }
    assert accepted == {}, "A write accepted fields it does not take"
    for op, answer in answers.items():
        assert answer.status_code == 400, (op, answer.status_code, answer.content[:300])
        error = answer.json()["error"]
        assert error["code"] == "invalid", op
        assert error["fields"] == {name: [UNKNOWN] for name in extra}, (op, error)


def test_the_known_silent_routes_refuse_the_field_and_change_nothing(tenant_a):
    """Valid bodies plus a field each route used to ignore: refused with nothing done; the
    same body without it is accepted."""
    ids = world(tenant_a, ["invoices", "dunning", "insurance"])
    client = caller(tenant_a)
    chart = {"vat_account_20": "445710"}
    refused = client.put("/api/v1/accounting/chart/", {**chart, "tenant_id": 1}, format="json")
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"] == {"tenant_id": [UNKNOWN]}
    with tenant_context(tenant_a):
        assert not ChartOfAccounts.objects.filter(vat_account_20="445710").exists()
    assert client.put("/api/v1/accounting/chart/", chart, format="json").status_code == 200

    limit = {"client": ids["client"], "policy": ids["insurance-policy"], "amount": "20000.00"}
    with tenant_context(tenant_a):
        rows = CreditLimit.objects.count()
    refused = client.post("/api/v1/credit-limits/", {**limit, "status": "granted"}, format="json")
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"] == {"status": [UNKNOWN]}
    decide = f"/api/v1/credit-limits/{ids['credit-limit']}/decide/"
    refused = client.post(decide, {"status": "granted", "amount": "1", "client": 9}, format="json")
    assert refused.status_code == 400
    with tenant_context(tenant_a):
        assert CreditLimit.objects.count() == rows
    assert client.post("/api/v1/credit-limits/", limit, format="json").status_code == 201

    case = f"/api/v1/dunning-cases/{ids['dunning-case']}"
    pause = {"kind": "manual", "until": "2026-12-31"}
    refused = client.post(f"{case}/pause/", {**pause, "state": "closed"}, format="json")
    assert refused.status_code == 400
    with tenant_context(tenant_a):
        assert not Pause.objects.filter(case_id=ids["dunning-case"]).exists()
    assert client.post(f"{case}/pause/", pause, format="json").status_code == 200
    refused = client.post(f"{case}/resume/", {"until": "2027-01-01"}, format="json")
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"] == {"until": [UNKNOWN]}
    with tenant_context(tenant_a):
        assert Case.objects.get(pk=ids["dunning-case"]).state == Case.State.PAUSED
    assert client.post(f"{case}/resume/", {}, format="json").status_code == 200

    endpoint = {"url": "https://hooks.example/input", "events": ["invoice.paid"]}
    refused = client.post(
        "/api/v1/webhook-endpoints/", {**endpoint, "secret": "mine"}, format="json"
    )
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"] == {"secret": [UNKNOWN]}
    with tenant_context(tenant_a):
        assert not Endpoint.objects.filter(url=endpoint["url"]).exists()
    assert client.post("/api/v1/webhook-endpoints/", endpoint, format="json").status_code == 201


def test_an_upload_refuses_a_form_field_it_does_not_take(tenant_a):
    client = caller(tenant_a)

    def upload(**fields):
        statement = SimpleUploadedFile("releve.csv", STATEMENT, "text/csv")
        return client.post("/api/v1/bank-statements/", {"file": statement, **fields})

    refused = upload(account_iban="FR7630006000011234567890189")
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"] == {"account_iban": [UNKNOWN]}
    with tenant_context(tenant_a):
        assert not BankStatement.objects.exists()
    assert upload().status_code == 201


def test_an_operation_without_a_body_refuses_one(tenant_a):
    ids = world(tenant_a, ["webhooks"])
    client = caller(tenant_a)
    ping = f"/api/v1/webhook-endpoints/{ids['webhook-endpoint']}/ping/"
    refused = client.post(ping, {"url": "https://elsewhere.example/"}, format="json")
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"] == {"url": [UNKNOWN]}
    refused = client.post(ping, ["https://elsewhere.example/"], format="json")
    assert refused.status_code == 400
    assert client.post(ping).status_code == 201
    assert client.post(ping, {}, format="json").status_code == 201


def test_a_nested_field_it_does_not_take_is_named_where_it_is(tenant_a):
    ids = world(tenant_a, ["invoices"])
    with tenant_context(tenant_a):
        payments = Payment.objects.count()
    response = caller(tenant_a).post(
        "/api/v1/payments/",
        {
            "client": ids["client"],
            "amount": "100.00",
            "received_on": "2026-04-02",
            "allocations": [{"invoice": ids["invoice"], "amount": "100.00", "paid": True}],
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"allocations": [{"paid": [UNKNOWN]}]}
    with tenant_context(tenant_a):
        assert Payment.objects.count() == payments
