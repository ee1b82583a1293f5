"""The Celery app: broker Redis, schedule in the database (django-celery-beat)."""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portage.settings.base")

app = Celery("portage")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def reuse_or_close_connections(task=None, **kwargs):
    """Before and after each task, what Django does before and after each request: a
    connection past its `CONN_MAX_AGE`, broken by an error or left in a transaction is
    closed, another is kept for the next task and checked before it is used
    (`CONN_HEALTH_CHECKS`). Celery's own clean-up closes every connection only once in
    `CELERY_DB_REUSE_MAX` tasks (every task when persistent connections are off).

    Not for a task run eagerly, inside its caller's request or transaction."""
    if task is not None and getattr(task.request, "is_eager", False):
        return
    from django.db import close_old_connections, connections

    if any(connection.in_atomic_block for connection in connections.all(initialized_only=True)):
        return
    close_old_connections()
