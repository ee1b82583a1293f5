"""Celery tasks of webhooks: thin wrappers around `webhooks.dispatch`, which they run;
`webhooks.services` sends `deliver_task` after the commit."""

from celery import shared_task

from portage.tasks import RETRY_ON_DATABASE, TenantTask
from webhooks import dispatch


@shared_task(
    base=TenantTask,
    name="webhooks.tasks.deliver",
    atomic=False,
    acks_late=True,
    reject_on_worker_lost=True,
    **RETRY_ON_DATABASE,
)
def deliver_task(*, tenant, delivery_id):
    """One attempt of a delivery; a failure is scheduled again by the service (in the
    database, not by a countdown, so a restarted Redis loses no retry)."""
    return dispatch.deliver(tenant=tenant, delivery_id=delivery_id)


@shared_task(name="webhooks.tasks.send_due", acks_late=True)
def send_due_task():
    """Every minute (beat): a task for each delivery due, first attempts whose task was lost
    and retries alike. A delivery sent twice at once is not possible: the first locks it."""
    due = dispatch.due_deliveries()
    for tenant_id, delivery_id in due:
        deliver_task.delay(tenant_id=tenant_id, delivery_id=delivery_id)
    return {"enqueued": len(due)}
