"""Celery tasks of the platform core. Tasks hold no business logic: they call services."""

import functools
import logging
from datetime import date

from celery import shared_task
from celery.contrib.django.task import DjangoTask
from celery.exceptions import Retry
from celery.utils.time import get_exponential_backoff_interval
from django.contrib.sessions.models import Session
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone

from portage import batch
from portage.cache import purge_sign_in_records
from portage.models import Tenant
from portage.tenancy import tenant_context

logger = logging.getLogger(__name__)


# Retried while the database is away (a restart, a failover): five times, from 30 s apart.
RETRY_ON_DATABASE = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 30,
    "max_retries": 5,
}


def retry_while_unreachable(failure, *, first_wait):
    """The retries of a task that talks to a partner's service (the e-invoicing platform, an
    insurer's API): on `failure`, eight times, waiting from `first_wait` seconds and at most
    an hour between two tries, so a service down for hours is still reached. The task's
    last try passes `final=` to its service, which records the failure instead."""
    return {
        "autoretry_for": (failure,),
        "retry_backoff": first_wait,
        "retry_backoff_max": 3600,
        "max_retries": 8,
    }


class TenantTask(DjangoTask):
    """Base of tasks that work for one tenant.

    Called with `tenant_id=` (an id, never an object); the body receives `tenant=` and runs
    inside `tenant_context(tenant)`: both tenancy locks set and one transaction, committed
    when the body returns. A task that manages its own transactions sets `atomic=False`.
    The context is set and reset around every call, so nothing leaks to the next task
    the worker runs.

    Sent after the caller's transaction with `delay_on_commit` (or `apply_async_on_commit`):
    nothing leaves for a rolled-back write, and a broker that refuses never fails the
    caller, since the work it stands for waits in the database for what sends it again.
    """

    abstract = True
    atomic = True
    # Callers pass tenant_id, the body takes tenant: Celery's signature check would refuse.
    typing = False

    def delay_on_commit(self, *args, **kwargs):
        """Celery's `DjangoTask.delay_on_commit` (sent once the transaction commits, never if
        it rolls back), except that a broker that refuses is logged instead of raised."""
        transaction.on_commit(functools.partial(self._send_or_log, "delay", args, kwargs))

    def apply_async_on_commit(self, *args, **kwargs):
        """`apply_async` with its options (a task id, a countdown), after the commit, as
        `delay_on_commit`."""
        transaction.on_commit(functools.partial(self._send_or_log, "apply_async", args, kwargs))

    def _send_or_log(self, method, args, kwargs):
        try:
            getattr(self, method)(*args, **kwargs)
        except Exception:
            # Each caller's work is kept in the database and sent again: by a sweep (a
            # deposit, a 212, a webhook), the next day's run (a dunning chunk, a filing to
            # the insurer), or when next needed (an invoice's PDF on its first download, a
            # client's directory entry at its first deposit).
            logger.warning("Could not enqueue %s%r%r", self.name, args, kwargs, exc_info=True)

    def __call__(self, *args, tenant_id, **kwargs):
        try:
            tenant = Tenant.objects.get(pk=tenant_id)
            if not self.atomic:
                return super().__call__(*args, tenant=tenant, **kwargs)
            with tenant_context(tenant):
                return super().__call__(*args, tenant=tenant, **kwargs)
        except (OperationalError, InterfaceError) as error:
            # The database went away while the tenant was looked up, its context set, or
            # its transaction committed: outside the body, where `autoretry_for` does not
            # reach (a PostgreSQL restart lost every chunk task that started meanwhile).
            # Retried as the body's own errors are.
            if not isinstance(error, tuple(getattr(self, "autoretry_for", ()))):
                raise
            retry_sent = _retry_being_raised(error)
            if retry_sent is not None:  # the body's own retry, then the rollback failed too
                raise retry_sent from error
            raise self._database_retry(error) from error

    def _database_retry(self, error):
        options = {}
        if getattr(self, "retry_backoff", False):
            options["countdown"] = get_exponential_backoff_interval(
                factor=max(1, int(self.retry_backoff)),  # True means 1, as in Celery
                retries=self.request.retries,
                maximum=int(getattr(self, "retry_backoff_max", 600)),
                full_jitter=getattr(self, "retry_jitter", True),
            )
        logger.warning("%s: database unavailable, retried: %s", self.name, error)
        return self.retry(exc=error, **options)


def _retry_being_raised(error):
    context = error.__context__
    while context is not None and not isinstance(context, Retry):
        context = context.__context__
    return context


@shared_task(name="portage.tasks.fan_out_daily_job")
def fan_out_daily_job_task(job, run_date=None):
    """Beat's entry point for a daily job: one task per active tenant, for that day."""
    batch.get_job(job)
    day = date.fromisoformat(run_date) if run_date else batch.paris_today()
    tenant_ids = Tenant.objects.filter(is_active=True).values_list("pk", flat=True)
    task_ids = [
        run_daily_job_task.delay(job=job, tenant_id=tenant_id, run_date=day.isoformat()).id
        for tenant_id in tenant_ids
    ]
    return {"job": job, "run_date": day.isoformat(), "task_ids": task_ids}


@shared_task(
    base=TenantTask,
    name="portage.tasks.run_daily_job",
    atomic=False,
    acks_late=True,
    reject_on_worker_lost=True,
    **RETRY_ON_DATABASE,
)
def run_daily_job_task(*, tenant, job, run_date):
    """Daily jobs are idempotent (the database refuses a second action for the same step),
    so a task redelivered after a crash, or retried after the database came back, is safe."""
    return batch.run_job_for_tenant(
        job, tenant=tenant, today=date.fromisoformat(run_date), fan_out=True
    )


@shared_task(name="portage.tasks.clear_expired_sessions")
def clear_expired_sessions_task():
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return {"deleted": deleted}


@shared_task(name="portage.tasks.purge_sign_in_records")
def purge_sign_in_records_task():
    """The sign-in records (rate-limit counts, used two-factor codes) that have expired."""
    return {"deleted": purge_sign_in_records(timezone.now())}
