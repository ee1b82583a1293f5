from django.db import migrations

# Any table that must only grow (the audit log, later the activity-account ledger) gets a
# trigger calling this function: PostgreSQL itself refuses to rewrite history.
CREATE = """
CREATE FUNCTION portage_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER portage_auditentry_append_only
    BEFORE UPDATE OR DELETE ON portage_auditentry
    FOR EACH ROW EXECUTE FUNCTION portage_refuse_change();
"""
DROP = """
DROP TRIGGER portage_auditentry_append_only ON portage_auditentry;
DROP FUNCTION portage_refuse_change();
"""


class Migration(migrations.Migration):
    dependencies = [("portage", "0001_initial")]

    operations = [migrations.RunSQL(CREATE, DROP)]
