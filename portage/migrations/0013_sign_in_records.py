from django.db import migrations, models

from portage.batch import schedule_daily_task


def schedule(apps, schema_editor):
    schedule_daily_task(
        apps,
        name="Purge des traces de connexion expirées",
        task="portage.tasks.purge_sign_in_records",
        hour=3,
        minute=40,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("portage", "0012_idempotency_key_whole"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.CreateModel(
            name="SignInRecord",
            fields=[
                ("key", models.CharField(max_length=64, primary_key=True, serialize=False)),
                ("value", models.JSONField()),
                ("expires_at", models.DateTimeField(db_index=True, null=True)),
            ],
        ),
        migrations.RunPython(schedule, migrations.RunPython.noop),
    ]
