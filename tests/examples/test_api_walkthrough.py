"""The script in examples/, written from the API docs alone, runs against the running
server and a real Celery worker: it creates a client, a mission and an invoice, issues it,
downloads the PDF, posts a payment twice under one Idempotency-Key, reads the invoice as
paid, and receives `invoice.issued` and `invoice.paid` with valid signatures."""

import subprocess
import sys

import pytest
from django.conf import settings

from invoices.models import Invoice, Payment
from portage.api.keys import api_key_create
from portage.permissions import Role
from portage.tenancy import PLATFORM_DB, tenant_context
from tests.factories import make_member

pytestmark = [
    pytest.mark.django_db(transaction=True, databases=["default", PLATFORM_DB]),
    pytest.mark.worker,
]


def test_the_documented_walkthrough_runs_end_to_end(live_server, worker, tenant_a, tmp_path):
    admin = make_member(tenant_a, Role.ADMIN).user
    with tenant_context(tenant_a):
        _key, full = api_key_create(tenant=tenant_a, name="Example", scope="write", by=admin)
    pdf = tmp_path / "invoice.pdf"
    run = subprocess.run(
        [
            sys.executable,
            "examples/api_walkthrough.py",
            "--url",
            live_server.url,
            "--key",
            full,
            "--pdf",
            str(pdf),
            "--webhook-timeout",
            "60",
        ],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "All steps behaved as documented." in run.stdout
    assert pdf.read_bytes()[:5] == b"%PDF-"
    with tenant_context(tenant_a):
        invoice = Invoice.objects.get()
        assert invoice.status == Invoice.Status.PAID
        assert Payment.objects.count() == 1
