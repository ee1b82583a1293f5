from django.db import migrations

from portage.batch import schedule_task


def schedule(apps, schema_editor):
    schedule_task(
        apps,
        name="Avis de paiement aux consultants restant à envoyer",
        task="invoices.tasks.send_due_payment_notices",
        minute="*/15",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("invoices", "0008_payment_notice"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, migrations.RunPython.noop)]
