"""A client generated from the OpenAPI schema alone (openapi-python-client) walks the steps
of examples/api_walkthrough.py against the running server: it creates a client, takes or
creates a consultant, creates a mission, drafts an invoice and issues it, downloads its PDF,
records the payment twice under one Idempotency-Key (recorded once) and reads the invoice as
paid. Every body it sends is built by the generated models and every answer parsed by them:
the schema is enough to integrate. (The webhooks of the walkthrough need a worker; their
test is tests/examples/test_api_walkthrough.py.)"""

import importlib
import subprocess
import sys
import uuid
from datetime import date
from decimal import Decimal

import pytest
import yaml
from drf_spectacular.generators import SchemaGenerator

from examples.api_walkthrough import valid_siren
from invoices.models import Invoice, Payment
from portage.api.keys import api_key_create
from portage.permissions import Role
from portage.tenancy import PLATFORM_DB, tenant_context
from tests.factories import make_member

pytestmark = [
    pytest.mark.schemathesis,
    pytest.mark.django_db(transaction=True, databases=["default", PLATFORM_DB]),
]


def generated_client(tmp_path):
    """The package openapi-python-client writes from the schema the server serves."""
    (tmp_path / "schema.yaml").write_text(
        yaml.safe_dump(SchemaGenerator().get_schema(request=None, public=True))
    )
    (tmp_path / "config.yaml").write_text(
        yaml.safe_dump(
            {
                "package_name_override": "portage_client",
                "post_hooks": [],
                "content_type_overrides": {"application/pdf": "application/octet-stream"},
            }
        )
    )
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            "schema.yaml",
            "--config",
            "config.yaml",
            "--meta",
            "none",
            "--output-path",
            "portage_client",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    sys.path.insert(0, str(tmp_path))
    importlib.invalidate_caches()
    return importlib.import_module("portage_client")


def call(module, **kwargs):
    """One operation through the generated code: its parsed answer, or the test fails."""
    answer = module.sync_detailed(**kwargs)
    assert 200 <= answer.status_code < 300, (module.__name__, answer.status_code, answer.content)
    return answer


def test_a_client_generated_from_the_schema_walks_through_the_api(live_server, tenant_a, tmp_path):
    admin = make_member(tenant_a, Role.ADMIN).user
    with tenant_context(tenant_a):
        _key, full = api_key_create(tenant=tenant_a, name="Generated", scope="write", by=admin)
    package = generated_client(tmp_path)
    try:
        api = importlib.import_module("portage_client.api")
        models = importlib.import_module("portage_client.models")
        ops = {
            name: importlib.import_module(f"portage_client.api.{group}.{name}")
            for group, name in [
                ("clients", "clients_create"),
                ("consultants", "consultants_list"),
                ("consultants", "consultants_create"),
                ("missions", "missions_create"),
                ("invoices", "invoices_create"),
                ("invoices", "invoices_issue_create"),
                ("invoices", "invoices_pdf_retrieve"),
                ("invoices", "invoices_retrieve"),
                ("payments", "payments_create"),
            ]
        }
        assert api is not None
        session = package.AuthenticatedClient(
            base_url=live_server.url, token=full, headers={"Accept-Language": "en"}
        )
        today = date.today().isoformat()

        client = call(
            ops["clients_create"],
            client=session,
            body=models.ClientRequest.from_dict(
                {
                    "legal_name": "Durand Industrie SAS",
                    "siren": valid_siren(),
                    "address_line1": "10 rue de la Paix",
                    "postal_code": "75002",
                    "city": "Paris",
                    "billing_emails": ["compta@durand.example"],
                    "payment_terms": "net",
                    "payment_days": 30,
                }
            ),
        ).parsed
        assert isinstance(client, models.Client) and client.legal_name == "Durand Industrie SAS"

        consultants = call(ops["consultants_list"], client=session).parsed.results
        if consultants:
            consultant = consultants[0]
        else:
            consultant = call(
                ops["consultants_create"],
                client=session,
                body=models.ConsultantInputRequest.from_dict(
                    {
                        "email": f"consultant-{uuid.uuid4().hex[:8]}@example.com",
                        "full_name": "Camille Martin",
                        "fee_rate": "8.00",
                        "start_date": today,
                    }
                ),
            ).parsed

        mission = call(
            ops["missions_create"],
            client=session,
            body=models.MissionInputRequest.from_dict(
                {
                    "consultant": consultant.id,
                    "client": client.id,
                    "title": "Audit du système d'information",
                    "start_date": today,
                    "daily_rate": "650.00",
                }
            ),
        ).parsed

        draft = call(
            ops["invoices_create"],
            client=session,
            body=models.DraftInputRequest.from_dict(
                {
                    "client": client.id,
                    "consultant": consultant.id,
                    "mission": mission.id,
                    "lines": [
                        {
                            "description": "Audit — 10 jours",
                            "quantity": "10",
                            "unit": "DAY",
                            "unit_price": "650.00",
                            "vat_rate": "20.00",
                        }
                    ],
                }
            ),
        ).parsed
        assert Decimal(draft.total_ttc) == Decimal("7800.00")

        invoice = call(
            ops["invoices_issue_create"],
            id=draft.id,
            client=session.with_headers({"Idempotency-Key": f"issue-{draft.id}"}),
        ).parsed
        assert str(invoice.status) == "issued" and invoice.number

        pdf = call(ops["invoices_pdf_retrieve"], id=invoice.id, client=session)
        assert pdf.headers["Content-Type"] == "application/pdf"
        assert pdf.content[:5] == b"%PDF-"

        body = models.PaymentInputRequest.from_dict(
            {
                "client": client.id,
                "amount": invoice.total_ttc,
                "received_on": today,
                "method": "transfer",
                "reference": f"VIR {invoice.number}",
                "allocations": [{"invoice": invoice.id, "amount": invoice.total_ttc}],
            }
        )
        once = session.with_headers({"Idempotency-Key": str(uuid.uuid4())})
        first = call(ops["payments_create"], client=once, body=body)
        again = call(ops["payments_create"], client=once, body=body)
        assert again.parsed.id == first.parsed.id
        assert again.headers.get("Idempotent-Replayed") == "true"

        paid = call(ops["invoices_retrieve"], id=invoice.id, client=session).parsed
        assert str(paid.status) == "paid" and Decimal(paid.balance) == 0
    finally:
        sys.path.remove(str(tmp_path))
        for name in [name for name in sys.modules if name.startswith("portage_client")]:
            del sys.modules[name]
    with tenant_context(tenant_a):
        assert Invoice.objects.get().status == Invoice.Status.PAID
        assert Payment.objects.count() == 1
