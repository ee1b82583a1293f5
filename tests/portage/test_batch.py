"""The daily batch machinery: a job per tenant and day, replayable, recorded, dry-runnable."""

from datetime import UTC, date, datetime

import pytest
from celery import current_app
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

import tests.portage.jobs  # noqa: F401  (registers the probe jobs)
from portage.batch import paris_today, run_job_for_tenant
from portage.models import AuditEntry, BatchRun
from portage.tasks import TenantTask, clear_expired_sessions_task

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 2)


def test_a_job_runs_in_its_tenants_context_and_its_outcome_is_recorded(
    tenant_a, tenant_b, in_tenant
):
    assert run_job_for_tenant("probe", tenant=tenant_a, today=DAY) == {"visible_lines": 1}
    assert run_job_for_tenant("probe", tenant=tenant_b, today=DAY) == {"visible_lines": 1}
    with in_tenant(tenant_a):
        run = BatchRun.objects.get()
    assert (run.job, run.run_date, run.status, run.attempts) == ("probe", DAY, "succeeded", 1)
    assert run.summary == {"visible_lines": 1}


def test_running_the_same_day_again_counts_a_second_attempt(tenant_a, in_tenant):
    run_job_for_tenant("probe", tenant=tenant_a, today=DAY)
    run_job_for_tenant("probe", tenant=tenant_a, today=DAY)
    with in_tenant(tenant_a):
        assert BatchRun.objects.get().attempts == 2


def test_a_failing_job_leaves_nothing_half_written_and_records_the_error(tenant_a, in_tenant):
    with pytest.raises(RuntimeError, match="the job broke"):
        run_job_for_tenant("broken", tenant=tenant_a, today=DAY)
    with in_tenant(tenant_a):
        run = BatchRun.objects.get()
        assert not AuditEntry.objects.filter(action="probe.ran").exists()
    assert run.status == "failed"
    assert "the job broke for" in run.error


def test_a_dry_run_reports_without_writing_or_sending(
    tenant_a, in_tenant, django_capture_on_commit_callbacks
):
    sent = []

    @transaction.atomic
    def spy(*, tenant, today):
        transaction.on_commit(lambda: sent.append(tenant.slug))
        return {"would_send": 1}

    from portage.batch import daily_job

    daily_job("spy", label="Spy")(spy)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        summary = run_job_for_tenant("spy", tenant=tenant_a, today=DAY, dry_run=True)
        summary_probe = run_job_for_tenant("probe", tenant=tenant_a, today=DAY, dry_run=True)
    assert summary == {"would_send": 1}
    assert summary_probe == {"visible_lines": 1}
    assert sent == [] and callbacks == []
    with in_tenant(tenant_a):
        assert not BatchRun.objects.exists()
        assert not AuditEntry.objects.exists()


def test_a_tenant_task_receives_its_tenant_and_runs_in_its_context(tenant_a, tenant_b, in_tenant):
    @current_app.task(base=TenantTask, name="tests.count_probe_lines")
    def count_probe_lines(*, tenant):
        return [tenant.slug, AuditEntry.objects.filter(action="probe.ran").count()]

    run_job_for_tenant("probe", tenant=tenant_a, today=DAY)
    run_job_for_tenant("probe", tenant=tenant_b, today=DAY)
    result = count_probe_lines.apply(kwargs={"tenant_id": tenant_b.pk})
    assert result.get() == [tenant_b.slug, 1]


def test_the_command_runs_a_day_for_every_company_one_by_one(tenant_a, tenant_b, capsys):
    call_command("run_job", "probe", "--date", "2026-03-02")
    out = capsys.readouterr().out
    assert f"{tenant_a.slug}: visible_lines=1" in out
    assert f"{tenant_b.slug}: visible_lines=1" in out


def test_the_command_runs_one_company_with_tenant(tenant_a, tenant_b, in_tenant, capsys):
    call_command("run_job", "probe", "--date", "2026-03-02", "--tenant", tenant_b.slug)
    assert tenant_a.slug not in capsys.readouterr().out
    with in_tenant(tenant_b):
        assert BatchRun.objects.get().run_date == DAY


def test_the_command_dry_run_changes_nothing(tenant_a, in_tenant, capsys):
    call_command("run_job", "probe", "--date", "2026-03-02", "--dry-run")
    assert f"[dry run] {tenant_a.slug}" in capsys.readouterr().out
    with in_tenant(tenant_a):
        assert not BatchRun.objects.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["probe", "--date", "02/03/2026"], "YYYY-MM-DD"),
        (["probe", "--tenant", "nobody"], "No active portage company"),
        (["nonexistent"], "No daily job named 'nonexistent'"),
    ],
)
def test_the_command_explains_bad_input(tenant_a, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("run_job", *args)


def test_one_failing_company_does_not_stop_the_others(tenant_a, tenant_b, in_tenant, capsys):
    with pytest.raises(CommandError, match="failed for"):
        call_command("run_job", "broken", "--date", "2026-03-02")
    err = capsys.readouterr().err
    assert tenant_a.slug in err and tenant_b.slug in err
    for tenant in (tenant_a, tenant_b):
        with in_tenant(tenant):
            assert BatchRun.objects.get().status == "failed"


@pytest.mark.parametrize(
    ("utc", "paris_day"),
    [
        (datetime(2026, 3, 1, 23, 30, tzinfo=UTC), date(2026, 3, 2)),
        (datetime(2026, 7, 1, 21, 59, tzinfo=UTC), date(2026, 7, 1)),
        (datetime(2026, 7, 1, 22, 0, tzinfo=UTC), date(2026, 7, 2)),
    ],
)
def test_the_batch_counts_days_in_paris(utc, paris_day):
    assert paris_today(utc) == paris_day


def test_the_beat_schedule_is_in_the_database_and_names_real_tasks():
    entry = PeriodicTask.objects.get(name="Purge des sessions expirées")
    assert (entry.crontab.hour, entry.crontab.minute) == ("3", "30")
    assert str(entry.crontab.timezone) == "Europe/Paris"
    assert entry.enabled
    assert entry.task in current_app.tasks


def test_expired_sessions_are_purged_and_live_ones_kept():
    live, expired = SessionStore(), SessionStore()
    live.create()
    expired.create()
    Session.objects.filter(session_key=expired.session_key).update(
        expire_date=timezone.now() - timezone.timedelta(days=1)
    )
    assert clear_expired_sessions_task() == {"deleted": 1}
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]
