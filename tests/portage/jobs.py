"""Daily jobs used by the batch tests; the worker test loads this module with --include."""

from portage.batch import daily_job
from portage.models import AuditEntry
from portage.services import audit_record


@daily_job("probe", label="Probe")
def probe(*, tenant, today):
    """Writes one line for the tenant and day, and counts the lines the tenant can see."""
    audit_record(
        tenant=tenant, actor=None, actor_label=f"probe {today}", action="probe.ran", obj=tenant
    )
    return {"visible_lines": AuditEntry.objects.filter(action="probe.ran").count()}


@daily_job("broken", label="Broken")
def broken(*, tenant, today):
    audit_record(tenant=tenant, actor=None, actor_label="broken", action="probe.ran", obj=tenant)
    raise RuntimeError(f"the job broke for {tenant.slug}")
