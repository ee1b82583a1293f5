"""The database roles (see README, "Database roles").

The application connects as a role that neither owns the tables nor bypasses row-level
security; cross-tenant platform jobs use the `platform` alias; only migrations connect as
the owner of the tables.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

_as_owner = ContextVar("as_owner", default=False)


class PlatformRouter:
    """Migrations run on `default` only: `platform` is the same database under another role."""

    def allow_migrate(self, db, app_label, **hints):
        return db == DEFAULT_DB_ALIAS


def connect_as(user, password, *, using=DEFAULT_DB_ALIAS):
    """Point `using` at another role of the same database; returns the previous credentials."""
    connection = connections[using]
    previous = (connection.settings_dict["USER"], connection.settings_dict["PASSWORD"])
    connection.close()
    # A copy: settings.DATABASES keeps naming the application's roles.
    connection.settings_dict = {**connection.settings_dict, "USER": user, "PASSWORD": password}
    return previous


@contextmanager
def as_owner(*, using=DEFAULT_DB_ALIAS):
    """Connect `using` as the owner of the tables for the block, then as before."""
    previous = connect_as(
        settings.DATABASE_OWNER_USER, settings.DATABASE_OWNER_PASSWORD, using=using
    )
    token = _as_owner.set(True)
    try:
        yield connections[using]
    finally:
        _as_owner.reset(token)
        connect_as(*previous, using=using)


def connected_as_owner():
    return _as_owner.get()


def application_roles():
    """The roles the platform runs as: `default` (application) and `platform`."""
    return sorted({settings.DATABASES[alias]["USER"] for alias in ("default", "platform")})


def grant_application_privileges(connection):
    """Give the application roles read/write on every table, and no say on migrations.

    Run after every migration by the owner, so tables added later are covered too. The
    roles may not record migrations: a `migrate` run under them fails instead of marking
    migrations applied without running them.
    """
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for role in application_roles():
            role = quote(role)
            cursor.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
            cursor.execute(
                f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"
            )
            cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}")
            cursor.execute(f"REVOKE INSERT, UPDATE, DELETE ON django_migrations FROM {role}")
