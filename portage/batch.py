"""The daily batch machinery: jobs that run once a day for every tenant.

A job is a function `run(*, tenant, today)` returning a summary dict, registered with
`@daily_job` in its app's `jobs.py` (imported at start-up by every process). Each job has
one Celery beat entry (schedule stored in the database, editable in the Django admin)
calling `portage.tasks.fan_out_daily_job`, which enqueues one task per active tenant.
The management commands run the same job for a given day, tenant by tenant, to catch up
after an outage or to look ahead with --dry-run.

`run_job_for_tenant` is the one place a job runs. "Today" is always a parameter: a day
can be replayed, and tests travel in time instead of sleeping.
"""

import traceback
from argparse import ArgumentTypeError
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from portage.models import BatchRun, Tenant
from portage.tenancy import tenant_context

PARIS = ZoneInfo("Europe/Paris")


@dataclass(frozen=True)
class DailyJob:
    name: str
    label: str
    run: Callable[..., dict]
    fans_out: bool = False


_jobs: dict[str, DailyJob] = {}


def daily_job(name, *, label, fans_out=False):
    """Register `run(*, tenant, today) -> dict` as the daily job `name`.

    A job that `fans_out` also takes `fan_out=`: True when it runs in a worker for the
    beat, where it may split a large tenant's day into chunk tasks; False when a command
    or a test runs it, and everything happens in the calling process.
    """

    def register(run):
        _jobs[name] = DailyJob(name=name, label=label, run=run, fans_out=fans_out)
        return run

    return register


def get_job(name):
    try:
        return _jobs[name]
    except KeyError:
        known = ", ".join(sorted(_jobs)) or "none"
        raise LookupError(f"No daily job named {name!r}; known: {known}") from None


def chunk_size():
    """How many clients a chunk of a company's day holds: decided together in one pass, and
    one task each when the beat fans the day out (setting DUNNING_CHUNK_CLIENTS)."""
    return settings.DUNNING_CHUNK_CLIENTS


def chunked(items):
    """`items` in lists of `chunk_size()`, in their order."""
    items = list(items)
    size = chunk_size()
    return [items[start : start + size] for start in range(0, len(items), size)]


def paris_today(now=None):
    """The calendar day in Europe/Paris, where the batch's days are counted."""
    return timezone.localtime(now or timezone.now(), PARIS).date()


def run_job_for_tenant(name, *, tenant, today, dry_run=False, fan_out=False):
    """Run the job for one tenant and day, in its own transaction, and record the outcome.

    With `dry_run`, the job runs and everything it wrote is rolled back, including the
    messages it scheduled after commit; its summary says what it would have done.
    A job must therefore send anything outside the database from `transaction.on_commit`.
    """
    job = get_job(name)
    started = timezone.now()
    try:
        with tenant_context(tenant):
            extra = {"fan_out": fan_out} if job.fans_out else {}
            summary = job.run(tenant=tenant, today=today, **extra) or {}
            if dry_run:
                transaction.set_rollback(True)
    except Exception:
        if not dry_run:
            _record(
                tenant, name, today, BatchRun.Status.FAILED, started, {}, traceback.format_exc()
            )
        raise
    if not dry_run:
        _record(tenant, name, today, BatchRun.Status.SUCCEEDED, started, summary, "")
    return summary


def _record(tenant, job, today, status, started, summary, error):
    with tenant_context(tenant):
        # Two workers may finish the same day together: the row is created once, then locked.
        BatchRun.objects.get_or_create(
            tenant=tenant,
            job=job,
            run_date=today,
            defaults={
                "attempts": 0,
                "status": status,
                "started_at": started,
                "finished_at": timezone.now(),
            },
        )
        run = BatchRun.objects.select_for_update().get(tenant=tenant, job=job, run_date=today)
        run.attempts += 1
        run.status = status
        run.started_at = started
        run.finished_at = timezone.now()
        run.summary = summary
        run.error = error
        run.save()


def schedule_daily_task(apps, *, name, task, hour, minute=0, kwargs=None):
    """For data migrations: a daily beat entry at hour:minute, Europe/Paris."""
    schedule_task(apps, name=name, task=task, hour=str(hour), minute=str(minute), kwargs=kwargs)


def schedule_task(apps, *, name, task, minute, hour="*", kwargs=None):
    """For data migrations: a beat entry on a crontab of `minute` and `hour` (such as
    minute="*/15" for every quarter of an hour), Europe/Paris."""
    import json

    crontab_model = apps.get_model("django_celery_beat", "CrontabSchedule")
    periodic_task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = crontab_model.objects.get_or_create(
        minute=minute,
        hour=hour,
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="Europe/Paris",
    )
    periodic_task_model.objects.get_or_create(
        name=name,
        defaults={"task": task, "crontab": crontab, "kwargs": json.dumps(kwargs or {})},
    )


def parse_day(value):
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ArgumentTypeError(f"a day is written YYYY-MM-DD, not {value!r}") from None


class DailyJobCommand(BaseCommand):
    """Base of `run_<job>` commands: what the beat does, for a given day and tenant(s)."""

    job = None

    def add_arguments(self, parser):
        parser.add_argument(
            "--date", type=parse_day, help="Day to run, YYYY-MM-DD (default: today, Paris)."
        )
        parser.add_argument(
            "--tenant", help="Slug of one portage company (default: every active one)."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Show what would be done; change nothing."
        )

    def job_name(self, options):
        return self.job

    def handle(self, *args, **options):
        name = self.job_name(options)
        try:
            job = get_job(name)
        except LookupError as error:
            raise CommandError(str(error)) from None
        today = options["date"] or paris_today()
        tenants = Tenant.objects.filter(is_active=True).order_by("slug")
        if options["tenant"]:
            tenants = tenants.filter(slug=options["tenant"])
            if not tenants:
                raise CommandError(f"No active portage company with slug {options['tenant']!r}")
        failed = []
        for tenant in tenants:
            try:
                summary = run_job_for_tenant(
                    name, tenant=tenant, today=today, dry_run=options["dry_run"]
                )
            except Exception as error:
                failed.append(tenant.slug)
                self.stderr.write(f"{tenant.slug}: {job.label} failed: {error!r}")
                continue
            self.stdout.write(self.describe(tenant, summary, dry_run=options["dry_run"]))
        if failed:
            raise CommandError(f"{job.label} failed for: {', '.join(failed)}")

    def describe(self, tenant, summary, *, dry_run):
        figures = ", ".join(f"{key}={value}" for key, value in summary.items()) or "nothing to do"
        prefix = "[dry run] " if dry_run else ""
        return f"{prefix}{tenant.slug}: {figures}"
