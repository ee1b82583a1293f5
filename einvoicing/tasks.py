"""E-invoicing tasks: small wrappers around the services, retried with backoff while the
platform does not answer (the flow's reference makes every retry safe)."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from einvoicing.connectors.base import TemporaryFailure
from portage.tasks import TenantTask
from portage.tenancy import tenant_context

RETRY = {
    "autoretry_for": (TemporaryFailure,),
    "retry_backoff": 30,
    "retry_backoff_max": 3600,
    "max_retries": 8,
}
# A flow still "to send" this long after it was prepared lost its task: the sweep sends it.
SWEEP_AFTER = timedelta(minutes=5)


@shared_task(
    base=TenantTask, bind=True, atomic=False, acks_late=True, reject_on_worker_lost=True, **RETRY
)
def send_submission_task(self, *, tenant, submission_pk):
    """Deposits an invoice with the platform: its PDF rendered and committed first, then
    the deposit in a transaction of its own."""
    from einvoicing.services.submissions import submission_prepare, submission_send

    with tenant_context(tenant):
        submission_prepare(submission_pk)
    with tenant_context(tenant):
        submission_send(submission_pk, final=self.request.retries >= self.max_retries)


@shared_task(base=TenantTask, bind=True, acks_late=True, reject_on_worker_lost=True, **RETRY)
def send_collection_report_task(self, *, tenant, report_pk):
    """Sends a 212 "Encaissée" (or its correction)."""
    from einvoicing.services.reporting import collection_report_send

    collection_report_send(report_pk, final=self.request.retries >= self.max_retries)


@shared_task(base=TenantTask, bind=True, acks_late=True, reject_on_worker_lost=True, **RETRY)
def send_payment_report_task(self, *, tenant, report_pk):
    """Sends a period's payment e-reporting."""
    from einvoicing.services.reporting import payment_report_send

    payment_report_send(report_pk, final=self.request.retries >= self.max_retries)


@shared_task(base=TenantTask, bind=True, acks_late=True, **RETRY)
def check_directory_task(self, *, tenant, client_id):
    """Looks a new client up in the e-invoicing directory."""
    from einvoicing.services.directory import directory_check
    from invoices.models import Client

    directory_check(client=Client.objects.get(pk=client_id))


@shared_task(base=TenantTask, acks_late=True, **RETRY)
def read_statuses_task(*, tenant):
    """Reads the statuses the platform has since the last read."""
    from einvoicing.services.statuses import statuses_read

    return {"new": statuses_read(tenant=tenant)}


@shared_task(acks_late=True)
def send_due():
    """Every five minutes (beat): a task for each flow still to send whose own task was lost
    (the broker down when the transaction committed), and a read of each company's statuses."""
    from einvoicing.services.sweep import due_flows

    due = due_flows(older_than=timezone.now() - SWEEP_AFTER)
    for task_name, tenant_id, kwargs in due:
        globals()[task_name].delay(tenant_id=tenant_id, **kwargs)
    return {"enqueued": len(due)}
