from django.db import migrations

from portage.batch import schedule_daily_task


def schedule(apps, schema_editor):
    schedule_daily_task(
        apps,
        name="Purge des sessions expirées",
        task="portage.tasks.clear_expired_sessions",
        hour=3,
        minute=30,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("portage", "0002_audit_append_only"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, migrations.RunPython.noop)]
