from django.db import migrations, models

# An Idempotency-Key is compared whole, by its SHA-256, no longer by its first 200
# characters. The keys already kept are hashed as they were kept. The table forces
# row-level security even on its owner: lifted for this one update.
BACKFILL = """
ALTER TABLE portage_idempotencyrecord NO FORCE ROW LEVEL SECURITY;
UPDATE portage_idempotencyrecord SET key_sha256 = encode(sha256(convert_to(key, 'UTF8')), 'hex');
ALTER TABLE portage_idempotencyrecord FORCE ROW LEVEL SECURITY;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("portage", "0011_tenant_reply_to_email"),
    ]

    operations = [
        migrations.AddField(
            model_name="idempotencyrecord",
            name="key_sha256",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
        migrations.AlterField(
            model_name="idempotencyrecord",
            name="key",
            field=models.CharField(max_length=255),
        ),
        migrations.RemoveConstraint(
            model_name="idempotencyrecord",
            name="idempotency_key_once",
        ),
        migrations.AddConstraint(
            model_name="idempotencyrecord",
            constraint=models.UniqueConstraint(
                fields=("tenant", "principal", "key_sha256"), name="idempotency_key_once"
            ),
        ),
    ]
