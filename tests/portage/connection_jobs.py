"""Tasks and views that report what a reused database connection carries: the tenant
setting PostgreSQL holds, the transaction it is in, and the rows each lock lets through.
Used by `test_persistent_connections.py` (the worker loads this module with --include)."""

from celery import shared_task
from django.db import connection
from django.http import JsonResponse
from django.urls import include, path

from portage.models import ApiKey
from portage.tasks import TenantTask
from portage.tenancy import current_tenant


def what_the_connection_sees():
    """The settings and transaction of the connection, and the companies whose keys each
    lock lets through: row-level security alone (raw SQL) and the ORM."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('app.tenant_id', true), current_setting('app.user_id', true),"
            " pg_backend_pid()"
        )
        tenant_setting, user_setting, pid = cursor.fetchone()
        cursor.execute("SELECT DISTINCT tenant_id FROM portage_apikey ORDER BY 1")
        raw = [row[0] for row in cursor.fetchall()]
    tenant = current_tenant()
    return {
        "tenant": tenant.pk if tenant else None,
        "tenant_setting": tenant_setting or "",
        "user_setting": user_setting or "",
        "pid": pid,
        "in_transaction": connection.in_atomic_block,
        "raw": raw,
        "orm": sorted(set(ApiKey.objects.values_list("tenant_id", flat=True))) if tenant else [],
    }


def fail(how):
    if how == "error":
        raise RuntimeError("failed after the tenant was set")
    if how == "database":
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 / 0")


@shared_task(base=TenantTask)
def tenant_probe(*, tenant, how=None):
    seen = what_the_connection_sees()
    fail(how)
    return seen


@shared_task
def connection_probe():
    """A task without a tenant, run between the companies' tasks: what the worker's
    connection carries from the task before."""
    connection.ensure_connection()
    status = connection.connection.info.transaction_status.name
    return {**what_the_connection_sees(), "status_before": status}


def probe_view(request):
    return JsonResponse(what_the_connection_sees())


def failing_view(request, how):
    what_the_connection_sees()
    fail(how)
    return JsonResponse({})


urlpatterns = [
    path("api/probe/", probe_view),
    path("api/fail/<str:how>/", failing_view),
    path("", include("portage.urls")),
]
handler404 = "portage.api.base.not_found"
handler500 = "portage.api.base.server_error"
