"""PostgreSQL row-level security for tenant-owned tables (lock (b), see `portage.tenancy`).

Every concrete subclass of `TenantOwned` receives a `TenantIsolationPolicy` in its
`Meta.constraints` when its class is prepared, so `makemigrations` writes the policy into
the migration that creates the table: no tenant-owned table can be added without one.
`missing_policies()` checks the live database, and the post-migrate hook refuses to finish
a migration that leaves a tenant-owned table unprotected.
"""

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import BaseConstraint

# Fail closed: an unset or empty setting is NULL, and NULL matches no row.
CREATE_FUNCTIONS = """
CREATE FUNCTION portage_current_tenant() RETURNS bigint
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('app.tenant_id', true), '')::bigint $$;
CREATE FUNCTION portage_current_user() RETURNS bigint
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('app.user_id', true), '')::bigint $$;
"""
DROP_FUNCTIONS = """
DROP FUNCTION portage_current_user();
DROP FUNCTION portage_current_tenant();
"""


class TenantIsolationPolicy(BaseConstraint):
    """ENABLE and FORCE row-level security on the table, with one policy: a row is visible and
    writable only when its tenant is the transaction's tenant. With `user_column`, a row is
    also visible (not writable) to the user it names, in any tenant."""

    def __init__(self, *, name, user_column=None, **kwargs):
        self.user_column = user_column
        super().__init__(name=name, **kwargs)

    def _statements(self, model, schema_editor):
        quote = schema_editor.quote_name
        table = quote(model._meta.db_table)
        tenant_column = quote(model._meta.get_field("tenant").column)
        visible = f"{tenant_column} = portage_current_tenant()"
        if self.user_column:
            visible += f" OR {quote(self.user_column)} = portage_current_user()"
        return [
            f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
            f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
            f"CREATE POLICY {quote(self.name)} ON {table} USING ({visible})"
            f" WITH CHECK ({tenant_column} = portage_current_tenant())",
        ]

    def constraint_sql(self, model, schema_editor):
        # Inside CREATE TABLE there is no room for a policy: run it once the table exists.
        schema_editor.deferred_sql.extend(self._statements(model, schema_editor))
        return None

    def create_sql(self, model, schema_editor):
        return ";\n".join(self._statements(model, schema_editor))

    def remove_sql(self, model, schema_editor):
        table = schema_editor.quote_name(model._meta.db_table)
        return (
            f"DROP POLICY {schema_editor.quote_name(self.name)} ON {table};\n"
            f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY;\n"
            f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY"
        )

    def validate(self, model, instance, exclude=None, using=DEFAULT_DB_ALIAS):
        """Nothing to check in Python: PostgreSQL enforces the policy on every write."""

    def deconstruct(self):
        path, args, kwargs = super().deconstruct()
        if self.user_column:
            kwargs["user_column"] = self.user_column
        return path, args, kwargs

    def __eq__(self, other):
        if isinstance(other, TenantIsolationPolicy):
            return self.name == other.name and self.user_column == other.user_column
        return super().__eq__(other)


def policy_for(model):
    """The policy a tenant-owned model must carry (see TenantOwned)."""
    return TenantIsolationPolicy(
        name=f"{model._meta.app_label}_{model._meta.model_name}_tenant_isolation",
        user_column=getattr(model, "rls_user_column", None),
    )


def missing_policies(models, *, using=DEFAULT_DB_ALIAS):
    """Tables of `models` that lack ENABLE, FORCE or a policy, with what is missing."""
    tables = [model._meta.db_table for model in models]
    with connections[using].cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
                   EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid)
            FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = current_schema() AND c.relname = ANY(%s)
            """,
            [tables],
        )
        found = {name: (enabled, forced, policy) for name, enabled, forced, policy in cursor}
    problems = {}
    for table in tables:
        if table not in found:
            continue  # not created yet (the migration that adds it has not run)
        enabled, forced, policy = found[table]
        missing = [
            label
            for label, present in (("ENABLE", enabled), ("FORCE", forced), ("policy", policy))
            if not present
        ]
        if missing:
            problems[table] = missing
    return problems
