"""The API key is found on the application's connection, not the platform's.

A request's company is not known until its key is found, and row-level security shows the
application's role no key before it is. `portage_api_key_candidates(prefix)` is the one way
through: a SECURITY DEFINER function, owned by the owner of the tables (who runs this
migration), that answers only the id, the company and the hash of the active keys of active
companies with that prefix; the application's role may execute it, nobody else. Its
search_path is pinned, so nothing the caller creates can stand in for the tables it reads.
The owner reads the keys of every company through a policy of its own (FORCE ROW LEVEL
SECURITY applies to it too), for SELECT only; it owns the table anyway.
"""

from django.conf import settings
from django.db import migrations

FUNCTION = "portage_api_key_candidates(text)"


def create(apps, schema_editor):
    app_role = schema_editor.quote_name(settings.DATABASES["default"]["USER"])
    for statement in (
        "CREATE POLICY portage_apikey_owner_lookup ON portage_apikey"
        " FOR SELECT TO CURRENT_USER USING (true)",
        """
        CREATE FUNCTION portage_api_key_candidates(key_prefix text)
            RETURNS TABLE (id bigint, tenant_id bigint, key_hash varchar)
            LANGUAGE sql STABLE SECURITY DEFINER
            SET search_path = pg_catalog, public, pg_temp
            AS $$
                SELECT k.id, k.tenant_id, k.key_hash
                FROM public.portage_apikey k
                JOIN public.portage_tenant t ON t.id = k.tenant_id
                WHERE k.prefix = key_prefix AND k.revoked_at IS NULL AND t.is_active
            $$
        """,
        f"REVOKE ALL ON FUNCTION {FUNCTION} FROM PUBLIC",
        f"GRANT EXECUTE ON FUNCTION {FUNCTION} TO {app_role}",
    ):
        schema_editor.execute(statement)


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP FUNCTION {FUNCTION}")
    schema_editor.execute("DROP POLICY portage_apikey_owner_lookup ON portage_apikey")


class Migration(migrations.Migration):
    dependencies = [("portage", "0013_sign_in_records")]

    operations = [migrations.RunPython(create, drop)]
