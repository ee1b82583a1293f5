from django.db import migrations

from portage.batch import schedule_daily_task


def schedule(apps, schema_editor):
    # Before the collections ladder (6:00): the buyers' statuses of the night steer it.
    schedule_daily_task(
        apps,
        name="Facturation électronique du jour",
        task="portage.tasks.fan_out_daily_job",
        hour=5,
        minute=30,
        kwargs={"job": "einvoicing"},
    )
    crontab_model = apps.get_model("django_celery_beat", "CrontabSchedule")
    periodic_task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    every_five_minutes, _ = crontab_model.objects.get_or_create(
        minute="*/5",
        hour="*",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="Europe/Paris",
    )
    periodic_task_model.objects.get_or_create(
        name="Facturation électronique : envois en attente et statuts",
        defaults={"task": "einvoicing.tasks.send_due", "crontab": every_five_minutes},
    )


class Migration(migrations.Migration):
    dependencies = [
        ("einvoicing", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, migrations.RunPython.noop)]
