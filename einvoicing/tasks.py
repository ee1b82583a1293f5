"""E-invoicing tasks: small wrappers around the services, retried with backoff while the
platform does not answer (the flow's reference makes every retry safe).

The services that prepare a flow (`submissions`, `reporting`, `directory`) send its task by
name after the commit; the tasks run `services.transmit` (and `statuses`, the sweep's
`sweep`), which import no task."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from einvoicing.connectors.base import TemporaryFailure
from einvoicing.services import statuses, sweep, transmit
from invoices.models import Client
from portage.tasks import TenantTask, retry_while_unreachable
from portage.tenancy import tenant_context

RETRY_WHILE_PLATFORM_DOWN = retry_while_unreachable(TemporaryFailure, first_wait=30)
# A flow still "to send" this long after it was prepared lost its task: the sweep sends it.
SWEEP_AFTER = timedelta(minutes=5)


@shared_task(
    base=TenantTask,
    bind=True,
    atomic=False,
    acks_late=True,
    reject_on_worker_lost=True,
    **RETRY_WHILE_PLATFORM_DOWN,
)
def send_submission_task(self, *, tenant, submission_pk):
    """Deposits an invoice with the platform: its PDF rendered and committed first, then
    the deposit in a transaction of its own."""
    with tenant_context(tenant):
        transmit.submission_prepare(submission_pk)
    with tenant_context(tenant):
        transmit.submission_send(submission_pk, final=self.request.retries >= self.max_retries)


@shared_task(
    base=TenantTask,
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    **RETRY_WHILE_PLATFORM_DOWN,
)
def send_collection_report_task(self, *, tenant, report_pk):
    """Sends a 212 "Encaissée" (or its correction)."""
    transmit.collection_report_send(report_pk, final=self.request.retries >= self.max_retries)


@shared_task(
    base=TenantTask,
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    **RETRY_WHILE_PLATFORM_DOWN,
)
def send_payment_report_task(self, *, tenant, report_pk):
    """Sends a period's payment e-reporting."""
    transmit.payment_report_send(report_pk, final=self.request.retries >= self.max_retries)


@shared_task(base=TenantTask, bind=True, acks_late=True, **RETRY_WHILE_PLATFORM_DOWN)
def check_directory_task(self, *, tenant, client_id):
    """Looks a new client up in the e-invoicing directory."""
    transmit.directory_check(client=Client.objects.get(pk=client_id))


@shared_task(base=TenantTask, acks_late=True, **RETRY_WHILE_PLATFORM_DOWN)
def read_statuses_task(*, tenant):
    """Reads the statuses the platform has since the last read."""
    return {"new": statuses.statuses_read(tenant=tenant)}


# The task of each kind of work `sweep.due_flows` finds.
SWEPT = {
    "submission": send_submission_task,
    "collection_report": send_collection_report_task,
    "payment_report": send_payment_report_task,
    "statuses": read_statuses_task,
}


@shared_task(name="einvoicing.tasks.send_due", acks_late=True)
def send_due_task():
    """Every five minutes (beat): a task for each flow still to send whose own task was lost
    (the broker down when the transaction committed), and a read of each company's statuses."""
    due = sweep.due_flows(older_than=timezone.now() - SWEEP_AFTER)
    for kind, tenant_id, kwargs in due:
        SWEPT[kind].delay(tenant_id=tenant_id, **kwargs)
    return {"enqueued": len(due)}
