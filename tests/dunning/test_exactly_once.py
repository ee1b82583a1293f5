"""Exactly once per (invoice, step), on the real PostgreSQL: two workers at the same moment,
a crash in the middle of a run and its retry, and a same-day re-run through a real Celery
worker each send nothing twice."""

import threading
from datetime import date, timedelta

import pytest
from celery import current_app
from django.core import mail
from django.db import connections

import dunning.services.perform as perform
from dunning.models import Action, Message, StepKind
from dunning.services.mail import deliver_due
from portage.batch import run_job_for_tenant
from portage.tasks import run_daily_job_task
from portage.tenancy import PLATFORM_DB, tenant_context
from tests.factories import make_client, make_consultant, make_invoice

ISSUED = date(2026, 3, 2)
DUE = ISSUED + timedelta(days=30)
DAY = DUE + timedelta(days=1)  # consultant reminder, first reminder

transactional = pytest.mark.django_db(transaction=True, databases=["default", PLATFORM_DB])


def overdue_invoices(tenant, clients=3, per_client=2):
    consultant = make_consultant(tenant)
    invoices = []
    for _ in range(clients):
        client = make_client(tenant)
        invoices += [
            make_invoice(tenant, client=client, consultant=consultant, issued_on=ISSUED)
            for _ in range(per_client)
        ]
    return invoices


def actions_by_step(tenant):
    with tenant_context(tenant):
        return sorted(
            Action.objects.filter(performed_on=DAY).values_list("invoice_id", "kind", "status")
        )


@transactional
def test_two_workers_at_the_same_moment_perform_each_step_once(tenant_a):
    overdue_invoices(tenant_a)
    # The cases are opened by an earlier day (the consultant's reminder before the due date).
    run_job_for_tenant("dunning", tenant=tenant_a, today=DUE - timedelta(days=3))
    mail.outbox.clear()

    # Both workers hold their transaction open at the moment they perform: they overlap.
    both_deciding = threading.Barrier(2, timeout=20)
    original = perform.perform_groups

    def perform_when_both_are_here(*args, **kwargs):
        both_deciding.wait()
        return original(*args, **kwargs)

    ladder_perform = "dunning.services.perform.perform_groups"
    errors, summaries = [], []

    def worker():
        try:
            summaries.append(run_job_for_tenant("dunning", tenant=tenant_a, today=DAY))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connections.close_all()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ladder_perform, perform_when_both_are_here)
        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert errors == []
    # One worker claimed every case; the other skipped the locked rows and did nothing.
    assert sorted(summary["steps"] for summary in summaries) == [0, 12]
    performed = actions_by_step(tenant_a)
    assert len(performed) == 12  # 6 invoices × (consultant's reminder J+1, first reminder)
    assert len(set(performed)) == 12
    # One first reminder per client, one reminder per client to the consultant.
    assert len(mail.outbox) == 6


@transactional
def test_a_crash_in_the_middle_of_a_run_then_its_retry_send_each_step_once(tenant_a):
    overdue_invoices(tenant_a)
    run_job_for_tenant("dunning", tenant=tenant_a, today=DUE - timedelta(days=3))
    mail.outbox.clear()

    original = perform.group_prepare
    calls = []

    def dies_on_the_third_group(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("the worker died")
        return original(*args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(perform, "group_prepare", dies_on_the_third_group)
        with pytest.raises(RuntimeError):
            run_job_for_tenant("dunning", tenant=tenant_a, today=DAY)
    # Nothing of the crashed run remains, and nothing was sent.
    assert actions_by_step(tenant_a) == []
    assert mail.outbox == []

    retry = run_job_for_tenant("dunning", tenant=tenant_a, today=DAY)
    assert retry["steps"] == 12
    assert len(mail.outbox) == 6
    again = run_job_for_tenant("dunning", tenant=tenant_a, today=DAY)
    assert again["steps"] == 0
    assert len(mail.outbox) == 6


@transactional
def test_a_message_that_fails_is_retried_with_backoff_and_never_marks_the_step_done(
    tenant_a, settings
):
    invoice = make_invoice(tenant_a, issued_on=ISSUED)
    settings.EMAIL_BACKEND = "tests.dunning.failing_backend.FailingBackend"
    run_job_for_tenant("dunning", tenant=tenant_a, today=DAY)
    with tenant_context(tenant_a):
        reminder = Action.objects.get(invoice=invoice, kind=StepKind.FIRST_REMINDER)
        assert reminder.status == Action.Status.PENDING
        message = reminder.message
        assert (message.status, message.attempts) == ("queued", 1)
        assert "SMTP" in message.last_error
    # The next day the ladder waits for the reminder to leave; no second reminder either.
    run_job_for_tenant("dunning", tenant=tenant_a, today=DAY + timedelta(days=20))
    with tenant_context(tenant_a):
        assert not Action.objects.filter(kind=StepKind.SECOND_REMINDER).exists()
    # Retries until the last attempt, then the failure is the collector's to see.
    later = message.next_attempt_at
    for _ in range(4):
        deliver_due(now=later)
        with tenant_context(tenant_a):
            message.refresh_from_db()
        later = message.next_attempt_at + timedelta(seconds=1)
    assert (message.status, message.attempts) == ("failed", 5)
    with tenant_context(tenant_a):
        reminder.refresh_from_db()
        assert reminder.status == Action.Status.FAILED
        assert reminder.case.state == "failed"

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from dunning.services.mail import message_retry

    with tenant_context(tenant_a):
        message_retry(message=message, actor=None)
    # (the retry is sent after commit; outside a transaction it already happened)
    with tenant_context(tenant_a):
        message.refresh_from_db()
        reminder.refresh_from_db()
    assert message.status == "sent"
    assert reminder.status == Action.Status.DONE
    assert [m.subject for m in mail.outbox].count(message.subject) == 1


@pytest.mark.worker
@transactional
def test_the_same_day_run_twice_through_a_real_worker_sends_once(tenant_a, worker):
    overdue_invoices(tenant_a, clients=2, per_client=2)
    first = run_daily_job_task.delay(job="dunning", tenant_id=tenant_a.pk, run_date=DAY.isoformat())
    assert first.get(timeout=60)["steps"] == 12  # 4 invoices × 3 steps due that day
    second = run_daily_job_task.delay(
        job="dunning", tenant_id=tenant_a.pk, run_date=DAY.isoformat()
    )
    assert second.get(timeout=60)["steps"] == 0
    # Redelivered at the same time on the same worker queue: still once.
    twins = [
        run_daily_job_task.delay(job="dunning", tenant_id=tenant_a.pk, run_date=DAY.isoformat())
        for _ in range(2)
    ]
    assert [twin.get(timeout=60)["steps"] for twin in twins] == [0, 0]
    with tenant_context(tenant_a):
        assert Action.objects.count() == 12
        assert len(set(Action.objects.values_list("invoice_id", "step_id"))) == 12
        sent = Message.objects.filter(status="sent")
        # One first reminder per client, one reminder to the consultant per client and
        # step (J-3 and J+1 both due on the first run).
        assert sent.filter(kind=StepKind.FIRST_REMINDER).count() == 2
        assert sent.count() == 6
        assert Message.objects.exclude(status="sent").count() == 0
    assert current_app.control.ping(timeout=1)


@pytest.fixture
def one_client_per_chunk(monkeypatch, settings):
    """The worker (started after this fixture) splits a day into one task per client."""
    monkeypatch.setenv("DUNNING_CHUNK_CLIENTS", "1")
    settings.DUNNING_CHUNK_CLIENTS = 1


@pytest.mark.worker
@transactional
def test_the_beat_fans_a_tenant_s_day_out_in_chunks_each_step_once(
    tenant_a, one_client_per_chunk, worker
):
    overdue_invoices(tenant_a, clients=3, per_client=1)
    day = run_daily_job_task.delay(job="dunning", tenant_id=tenant_a.pk, run_date=DAY.isoformat())
    prepared = day.get(timeout=60)
    assert prepared["cases_opened"] == 3
    chunk_ids = prepared["chunk_task_ids"]
    assert len(chunk_ids) == 3
    chunks = [current_app.AsyncResult(task_id).get(timeout=60) for task_id in chunk_ids]
    assert [chunk["steps"] for chunk in chunks] == [3, 3, 3]
    # The same day again, through the beat's path: chunks find their steps done.
    again = run_daily_job_task.delay(job="dunning", tenant_id=tenant_a.pk, run_date=DAY.isoformat())
    rerun = [
        current_app.AsyncResult(task_id).get(timeout=60)["steps"]
        for task_id in again.get(timeout=60)["chunk_task_ids"]
    ]
    assert rerun == [0, 0, 0]
    with tenant_context(tenant_a):
        assert Action.objects.count() == 9
        assert Message.objects.filter(status="sent").count() == 9  # 3 emails per client


@pytest.mark.django_db
def test_a_step_another_run_wrote_meanwhile_is_refused_for_its_group_alone(tenant_a):
    invoices = overdue_invoices(tenant_a)
    run_job_for_tenant("dunning", tenant=tenant_a, today=DUE - timedelta(days=3))
    first = invoices[0]
    original = perform.group_prepare

    def another_run_writes_the_first_reminder_of_the_first_invoice(members, today):
        group = original(members, today)
        for plan in members:
            if plan.case.invoice_id == first.pk and plan.step.kind == StepKind.FIRST_REMINDER:
                Action.objects.create(
                    tenant=tenant_a,
                    case=plan.case,
                    invoice=first,
                    step=plan.step,
                    kind=plan.step.kind,
                    status=Action.Status.PENDING,
                    performed_on=today,
                    balance=plan.balance,
                )
        return group

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            perform, "group_prepare", another_run_writes_the_first_reminder_of_the_first_invoice
        )
        summary = run_job_for_tenant("dunning", tenant=tenant_a, today=DAY)
    # The first client's first reminder (two invoices) is refused whole: the other run's
    # action stands alone, and no message of this run was written for it.
    assert summary["steps"] == 10
    assert any("already performed" in line for line in summary["lines"])
    with tenant_context(tenant_a):
        reminders = Action.objects.filter(kind=StepKind.FIRST_REMINDER, performed_on=DAY)
        sent_with = {action.invoice_id: action.message_id for action in reminders}
        assert sorted(sent_with) == sorted([first.pk] + [invoice.pk for invoice in invoices[2:]])
        assert sent_with[first.pk] is None
        assert Message.objects.filter(kind=StepKind.FIRST_REMINDER, step_day=DAY).count() == 2
        assert Message.objects.filter(client=first.client, step_day=DAY).count() == 1
