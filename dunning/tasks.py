from datetime import date

from celery import shared_task
from django.db import InterfaceError, OperationalError

from portage.tasks import TenantTask


@shared_task(
    base=TenantTask,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=30,
    max_retries=5,
)
def run_dunning_chunk(*, tenant, run_date, client_ids):
    """One chunk of a tenant's day: these clients' steps due that day, performed once (a
    redelivered or retried chunk finds its actions written and does nothing again)."""
    from dunning.services.ladder import run_ladder
    from dunning.services.mail import send_after_commit

    result = run_ladder(tenant=tenant, today=date.fromisoformat(run_date), client_ids=client_ids)
    send_after_commit(tenant, result.message_ids)
    summary = result.summary()
    summary.pop("lines")
    return summary


@shared_task(acks_late=True)
def deliver_due_messages():
    """Sends the collection emails whose (next) attempt is due, for every tenant."""
    from dunning.services.mail import deliver_due

    return deliver_due()
