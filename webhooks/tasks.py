"""Celery tasks of webhooks: thin wrappers around `webhooks.services`."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from portage.tasks import TenantTask


@shared_task(
    base=TenantTask,
    atomic=False,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=30,
    max_retries=5,
)
def deliver(*, tenant, delivery_id):
    """One attempt of a delivery; a failure is scheduled again by the service (in the
    database, not by a countdown, so a restarted Redis loses no retry)."""
    from webhooks import services

    return services.deliver(tenant=tenant, delivery_id=delivery_id)


@shared_task(acks_late=True)
def send_due():
    """Every minute (beat): a task for each delivery due, first attempts whose task was lost
    and retries alike. A delivery sent twice at once is not possible: the first locks it."""
    from webhooks import services

    due = services.due_deliveries()
    for tenant_id, delivery_id in due:
        deliver.delay(tenant_id=tenant_id, delivery_id=delivery_id)
    return {"enqueued": len(due)}
