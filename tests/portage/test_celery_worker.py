"""The batch through a real Celery worker: beat's entry point fans out one task per tenant."""

import pytest
from celery import current_app

from portage.models import AuditEntry, BatchRun
from portage.tasks import fan_out_daily_job_task
from portage.tenancy import PLATFORM_DB, all_tenants

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True, databases=["default", PLATFORM_DB]),
]


def test_the_daily_fan_out_runs_the_job_once_per_tenant_in_its_own_context(
    tenant_a, tenant_b, worker
):
    fanned = fan_out_daily_job_task.delay(job="probe", run_date="2026-03-02").get(timeout=30)
    assert fanned["run_date"] == "2026-03-02"
    summaries = [current_app.AsyncResult(i).get(timeout=30) for i in fanned["task_ids"]]
    # Each tenant's task sees only the line it wrote, though both tenants wrote one.
    assert summaries == [{"visible_lines": 1}, {"visible_lines": 1}]

    runs = all_tenants(BatchRun).order_by("tenant__legal_name")
    assert [(r.tenant, r.status, str(r.run_date)) for r in runs] == [
        (tenant_a, "succeeded", "2026-03-02"),
        (tenant_b, "succeeded", "2026-03-02"),
    ]
    lines = all_tenants(AuditEntry).filter(action="probe.ran")
    assert sorted((line.tenant_id, line.object_id) for line in lines) == [
        (tenant_a.pk, str(tenant_a.pk)),
        (tenant_b.pk, str(tenant_b.pk)),
    ]
