"""A worker SIGKILLed in the middle of a dunning day, then a new worker: every (invoice, step)
performed once, every email sent once, none lost.

How it holds: chunk tasks are `acks_late`, so the message of the chunk that was running
stays unacknowledged in Redis when its worker dies; its transaction never committed, so
PostgreSQL drops what it had written. Redis hands an unacknowledged task out again once
its visibility timeout has passed (`CELERY_VISIBILITY_TIMEOUT`, an hour in production,
2 s here) when a worker starts or sweeps; the new worker runs the chunk from the start.
"""

import email
import signal
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from celery import current_app

from dunning.models import Action, Message
from dunning.services.mail import deliver_due
from portage.tasks import run_daily_job_task
from portage.tenancy import PLATFORM_DB, tenant_context
from tests.factories import make_client, make_consultant, make_invoice
from tests.reliability.workers import VISIBILITY_TIMEOUT, start_worker

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True, databases=["default", PLATFORM_DB]),
]

ISSUED = date(2026, 3, 2)
DAY = ISSUED + timedelta(days=31)  # a day after the due date: three steps per invoice
CLIENTS, PER_CLIENT = 6, 2
CHUNKS = {"DUNNING_CHUNK_CLIENTS": "1"}  # one task per client: six chunks


def sent_message_ids(mail_dir):
    ids = []
    for path in Path(mail_dir).iterdir():
        # The file backend writes each email followed by a line of 79 dashes.
        for raw in path.read_text().split("-" * 79 + "\n"):
            if raw.strip():
                ids.append(email.message_from_string(raw)["Message-ID"])
    return ids


def test_a_worker_killed_in_the_middle_of_a_chunk_then_a_new_worker_do_each_step_once(
    tenant_a, tmp_path, settings
):
    settings.DUNNING_CHUNK_CLIENTS = 1
    consultant = make_consultant(tenant_a)
    for _ in range(CLIENTS):
        client = make_client(tenant_a)
        for _ in range(PER_CLIENT):
            make_invoice(tenant_a, client=client, consultant=consultant, issued_on=ISSUED)
    current_app.control.purge()
    doomed = start_worker("doomed", tmp_path, RELIABILITY_KILL_IN_CHUNK="3", **CHUNKS)
    try:
        day = run_daily_job_task.delay(
            job="dunning", tenant_id=tenant_a.pk, run_date=DAY.isoformat()
        )
        chunk_ids = day.get(timeout=60)["chunk_task_ids"]
        assert len(chunk_ids) == CLIENTS
        assert doomed.wait(timeout=60) == -signal.SIGKILL
    finally:
        doomed.kill()

    with tenant_context(tenant_a):
        # Two chunks committed; the third had written its steps, now rolled back.
        assert Action.objects.values("invoice__client").distinct().count() == 2
        assert Action.objects.count() == 2 * PER_CLIENT * 3

    # A starting worker hands out again the tasks unacknowledged for longer than the
    # visibility timeout; it sweeps next only 100 s later. Redis's clock, not the ladder's.
    time.sleep(VISIBILITY_TIMEOUT + 0.5)
    successor = start_worker("successor", tmp_path, **CHUNKS)
    try:
        steps = [current_app.AsyncResult(i).get(timeout=60)["steps"] for i in chunk_ids]
    finally:
        successor.terminate()
        successor.wait(timeout=30)
    # The two chunks done before the kill ran once; the killed one ran again from scratch.
    assert steps == [PER_CLIENT * 3] * CLIENTS
    deliver_due()  # nothing was left queued: the workers sent everything after commit
    with tenant_context(tenant_a):
        assert Action.objects.count() == CLIENTS * PER_CLIENT * 3
        assert Action.objects.values("invoice", "step").distinct().count() == Action.objects.count()
        messages = Message.objects.all()
        # Per client: the first reminder, and the consultant's reminders (J-3 and J+1).
        assert messages.count() == CLIENTS * 3
        assert set(messages.values_list("status", flat=True)) == {"sent"}
        assert set(messages.values_list("attempts", flat=True)) == {1}
        expected = sorted(messages.values_list("message_id", flat=True))
    assert sorted(sent_message_ids(tmp_path)) == expected  # each email once, none lost
