"""Celery tasks of the platform core. Tasks hold no business logic: they call services."""

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
from portage.models import Tenant
from portage.tenancy import tenant_context

logger = logging.getLogger(__name__)


def enqueue_on_commit(task, **kwargs):
    """Send `task` once the current transaction commits, and never fail the caller for it.

    For work that has another way to happen (a PDF is also rendered on first download);
    work that must not be lost goes through an outbox instead.
    """

    def send():
        try:
            task.delay(**kwargs)
        except Exception:
            logger.warning("Could not enqueue %s%r", task.name, kwargs, exc_info=True)

    transaction.on_commit(send)


class TenantTask(DjangoTask):
    """Base of tasks that work for one tenant.

    Called with `tenant_id=` (an id, never an object); the body receives `tenant=` and runs
    inside `tenant_context(tenant)`: both tenancy locks set and one transaction, committed
    when the body returns. A task that manages its own transactions sets `atomic=False`.
    The context is set and reset around every call, so nothing leaks to the next task
    the worker runs.
    """

    abstract = True
    atomic = True
    # Callers pass tenant_id, the body takes tenant: Celery's signature check would refuse.
    typing = False

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


@shared_task
def fan_out_daily_job(job, run_date=None):
    """Beat's entry point for a daily job: one task per active tenant, for that day."""
    batch.get_job(job)
    day = date.fromisoformat(run_date) if run_date else batch.paris_today()
    tenant_ids = Tenant.objects.filter(is_active=True).values_list("pk", flat=True)
    task_ids = [
        run_daily_job.delay(job=job, tenant_id=tenant_id, run_date=day.isoformat()).id
        for tenant_id in tenant_ids
    ]
    return {"job": job, "run_date": day.isoformat(), "task_ids": task_ids}


@shared_task(
    base=TenantTask,
    atomic=False,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=30,
    max_retries=5,
)
def run_daily_job(*, tenant, job, run_date):
    """Daily jobs are idempotent (the database refuses a second action for the same step),
    so a task redelivered after a crash, or retried after the database came back, is safe."""
    return batch.run_job_for_tenant(
        job, tenant=tenant, today=date.fromisoformat(run_date), fan_out=True
    )


@shared_task
def clear_expired_sessions():
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return {"deleted": deleted}
