from django.db import migrations

from portage.batch import schedule_daily_task


def schedule(apps, schema_editor):
    schedule_daily_task(
        apps,
        name="Assurance-crédit du jour",
        task="portage.tasks.fan_out_daily_job",
        hour=7,
        kwargs={"job": "insurance"},
    )


class Migration(migrations.Migration):
    dependencies = [
        ("insurance", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, migrations.RunPython.noop)]
