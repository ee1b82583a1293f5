"""The dunning ladder's daily job (see portage.batch).

For the beat, a tenant's day is prepared in one task (cases opened and closed), then its
clients are split into chunks, each decided and performed by its own task, in its own
transaction, on whichever worker takes it. A command or a test runs the same chunks in
turn, in the calling process. Either way each (invoice, step) happens once.
"""

import uuid

from dunning.services.ladder import (
    RunResult,
    clients_to_follow,
    prepare_day,
    run_ladder,
)
from dunning.services.mail import send_after_commit
from dunning.tasks import run_dunning_chunk_task
from portage.batch import chunked, daily_job


@daily_job("dunning", label="Relances", fans_out=True)
def run(*, tenant, today, fan_out=False):
    if fan_out:
        prepared = RunResult()
        prepare_day(tenant=tenant, today=today, result=prepared)
        chunks = chunked(clients_to_follow())
        if len(chunks) > 1:
            summary = prepared.summary()
            summary["chunk_task_ids"] = _enqueue_chunks(tenant, today, chunks)
            return summary
    result = run_ladder(tenant=tenant, today=today)
    send_after_commit(tenant, result.message_ids)
    return result.summary()


def _enqueue_chunks(tenant, today, chunks):
    """Sends one task per chunk once the preparation commits; returns their ids. Should the
    broker be down, the chunks' steps are performed by the next day's run (or by
    `run_dunning --date` for this day), never lost and never doubled."""
    task_ids = [str(uuid.uuid4()) for _ in chunks]
    for task_id, client_ids in zip(task_ids, chunks, strict=True):
        run_dunning_chunk_task.apply_async_on_commit(
            kwargs={
                "tenant_id": tenant.pk,
                "run_date": today.isoformat(),
                "client_ids": client_ids,
            },
            task_id=task_id,
        )
    return task_ids
