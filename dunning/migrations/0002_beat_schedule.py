from django.db import migrations

from portage.batch import schedule_daily_task


def schedule(apps, schema_editor):
    schedule_daily_task(
        apps,
        name="Relances du jour",
        task="portage.tasks.fan_out_daily_job",
        hour=6,
        kwargs={"job": "dunning"},
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
        name="Envoi des emails de relance en attente",
        defaults={"task": "dunning.tasks.deliver_due_messages", "crontab": every_five_minutes},
    )


class Migration(migrations.Migration):
    dependencies = [
        ("dunning", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, migrations.RunPython.noop)]
