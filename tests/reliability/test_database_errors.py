"""A tenant's task that meets the database down before its body runs (finding the tenant,
setting its context) is retried like one that meets it inside: a PostgreSQL restart in the
middle of a batch loses no chunk (scripts/reliability/pg_restart.py shows it end to end)."""

from datetime import date, timedelta

import pytest
from django.db import OperationalError

from dunning.models import Action
from dunning.tasks import run_dunning_chunk_task
from portage.batch import run_job_for_tenant
from portage.models import Tenant
from portage.tenancy import PLATFORM_DB, tenant_context
from tests.factories import make_invoice

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", PLATFORM_DB])

ISSUED = date(2026, 3, 2)
DAY = ISSUED + timedelta(days=31)


def test_a_chunk_whose_tenant_cannot_be_read_is_retried_then_done_once(tenant_a, monkeypatch):
    invoice = make_invoice(tenant_a, issued_on=ISSUED)
    # The case is opened by an earlier day, as the day's preparation does before its chunks.
    run_job_for_tenant("dunning", tenant=tenant_a, today=ISSUED + timedelta(days=27))
    with tenant_context(tenant_a):
        before = Action.objects.count()
    real_get = Tenant.objects.get
    calls = []

    def down_the_first_time(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("the database system is shutting down")
        return real_get(*args, **kwargs)

    monkeypatch.setattr(Tenant.objects, "get", down_the_first_time)
    # Eager: Celery runs the retry at once, in this process, instead of after a countdown.
    result = run_dunning_chunk_task.apply(
        kwargs={
            "tenant_id": tenant_a.pk,
            "run_date": DAY.isoformat(),
            "client_ids": [invoice.client_id],
        }
    )
    assert len(calls) > 1  # looked up again by the retry (and by the sending after it)
    steps = result.get()["steps"]
    assert steps == 2  # the first reminder and the consultant's, done once
    with tenant_context(tenant_a):
        assert Action.objects.count() == before + steps


def test_a_task_not_meant_to_retry_fails_as_before(tenant_a, monkeypatch):
    from invoices.tasks import render_invoice_pdf_task

    def down(*args, **kwargs):
        raise OperationalError("the database system is shutting down")

    monkeypatch.setattr(Tenant.objects, "get", down)
    result = render_invoice_pdf_task.apply(kwargs={"tenant_id": tenant_a.pk, "invoice_id": 1})
    assert result.failed() and isinstance(result.result, OperationalError)
