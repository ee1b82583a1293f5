from django.db import migrations


def schedule(apps, schema_editor):
    crontab_model = apps.get_model("django_celery_beat", "CrontabSchedule")
    periodic_task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    every_quarter_hour, _ = crontab_model.objects.get_or_create(
        minute="*/15",
        hour="*",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="Europe/Paris",
    )
    periodic_task_model.objects.get_or_create(
        name="Avis de paiement aux consultants restant à envoyer",
        defaults={
            "task": "invoices.tasks.send_due_payment_notices",
            "crontab": every_quarter_hour,
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("invoices", "0008_payment_notice"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, migrations.RunPython.noop)]
