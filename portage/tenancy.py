"""The tenant context: two independent locks keep one portage company's data from another's.

Lock (a), in the ORM: the default manager of every tenant-owned model is scoped with
django-scopes. While no tenant is active, a query on it raises `ScopeError`; while one is, it
is filtered on that tenant.

Lock (b), in PostgreSQL: row-level security policies (see `portage.rls`) compare each row's
`tenant_id` with the transaction-local setting `app.tenant_id`. The application connects as
a role that neither owns the tables nor bypasses row-level security, so a query that escaped
lock (a) still returns only the active tenant's rows, and none when no tenant is active.

`tenant_context()` sets both, inside a transaction, and restores what was there before.
Cross-tenant work is explicit and greppable: `platform_access()` lifts lock (a), and
`all_tenants()` reads through the `platform` database alias, whose role bypasses lock (b).
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django_scopes import scope, scopes_disabled

PLATFORM_DB = "platform"
TENANT_SETTING = "app.tenant_id"
USER_SETTING = "app.user_id"

_current_tenant = ContextVar("current_tenant", default=None)
_current_user_id = ContextVar("current_user_id", default=None)


def current_tenant():
    """The tenant whose context is active, or None."""
    return _current_tenant.get()


def _set_database_setting(name, value, using):
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT set_config(%s, %s, true)", [name, "" if value is None else str(value)]
        )


@contextmanager
def _transaction_setting(name, value, previous, using):
    """Set a transaction-local database setting for the block, inside a transaction (a
    savepoint when one is open), and put the previous value back.

    Transaction-local (`set_config(..., true)`) means it cannot leak to the next user of a
    pooled connection. PostgreSQL reverts it when the block rolls back, and forgets it when
    the transaction ends; inside an outer transaction, on a normal exit, it is written back
    explicitly, because releasing a savepoint keeps the settings made inside it.
    """
    outermost = not connections[using].in_atomic_block
    with transaction.atomic(using=using):
        _set_database_setting(name, value, using)
        yield
        # After an error caught inside the block, the savepoint is rolled back on exit,
        # which reverts the setting: no query may run on the broken transaction. The
        # outermost block's commit ends the setting with the transaction.
        if not outermost and not connections[using].needs_rollback:
            _set_database_setting(name, previous, using)


@contextmanager
def tenant_context(tenant, *, using=DEFAULT_DB_ALIAS):
    """Run the block as `tenant`: both locks set, in a transaction."""
    previous = _current_tenant.get()
    token = _current_tenant.set(tenant)
    try:
        with (
            _transaction_setting(
                TENANT_SETTING, tenant.pk, previous.pk if previous else None, using
            ),
            scope(tenant=tenant.pk),
        ):
            yield tenant
    finally:
        _current_tenant.reset(token)


def tenant_known(tenant):
    """In a context opened from a company's id alone (`tenant_context(Tenant(pk=id))`, as an
    API call does before its key's row, read with its company inside the context, says
    which company it is), the company's row: `current_tenant()` answers it from now on.
    The locks do not change: it must be the same company."""
    active = _current_tenant.get()
    if active is None or active.pk != tenant.pk:
        raise RuntimeError("tenant_known() names another company than the active context's.")
    _current_tenant.set(tenant)


@contextmanager
def user_context(user, *, using=DEFAULT_DB_ALIAS):
    """Let `user` read their own memberships in every tenant, to choose one (see Membership)."""
    previous = _current_user_id.get()
    token = _current_user_id.set(user.pk)
    try:
        with _transaction_setting(USER_SETTING, user.pk, previous, using):
            yield
    finally:
        _current_user_id.reset(token)


@contextmanager
def platform_access():
    """Escape hatch for platform jobs: lift the ORM lock (a) for the block.

    Row-level security still applies on the default connection; cross-tenant reads and
    writes go through `all_tenants()` or `.using(PLATFORM_DB)`.
    """
    with scopes_disabled():
        yield


def all_tenants(model):
    """Every tenant's rows of `model`, for platform jobs: both locks lifted, explicitly."""
    return model.objects.with_scopes_disabled().using(PLATFORM_DB).all()


def tenant_owned_models():
    """Every concrete model whose rows belong to a tenant."""
    from django.apps import apps

    from portage.models import TenantOwned

    return [
        model
        for model in apps.get_models()
        if issubclass(model, TenantOwned) and not model._meta.proxy
    ]
