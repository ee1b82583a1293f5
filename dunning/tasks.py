from datetime import date

from celery import shared_task

from dunning.services import ladder, mail
from portage.tasks import RETRY_ON_DATABASE, TenantTask


@shared_task(
    base=TenantTask,
    name="dunning.tasks.run_dunning_chunk",
    acks_late=True,
    reject_on_worker_lost=True,
    **RETRY_ON_DATABASE,
)
def run_dunning_chunk_task(*, tenant, run_date, client_ids):
    """One chunk of a tenant's day: these clients' steps due that day, performed once (a
    redelivered or retried chunk finds its actions written and does nothing again)."""
    result = ladder.run_ladder(
        tenant=tenant, today=date.fromisoformat(run_date), client_ids=client_ids
    )
    mail.send_after_commit(tenant, result.message_ids)
    summary = result.summary()
    summary.pop("lines")
    return summary


@shared_task(name="dunning.tasks.deliver_due_messages", acks_late=True)
def deliver_due_messages_task():
    """Sends the collection emails whose (next) attempt is due, for every tenant."""
    return mail.deliver_due()
