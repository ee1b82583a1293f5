from django.db import migrations

# The activity account only grows: PostgreSQL refuses to rewrite or delete an entry.
CREATE = """
CREATE TRIGGER consultants_ledgerentry_append_only
    BEFORE UPDATE OR DELETE ON consultants_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION portage_refuse_change();
"""
DROP = "DROP TRIGGER consultants_ledgerentry_append_only ON consultants_ledgerentry;"


class Migration(migrations.Migration):
    dependencies = [
        ("consultants", "0001_initial"),
        ("portage", "0002_audit_append_only"),
    ]

    operations = [migrations.RunSQL(CREATE, DROP)]
