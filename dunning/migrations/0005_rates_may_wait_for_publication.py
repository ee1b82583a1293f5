"""A half-year's rates may be entered one at a time, as each is published; the ECB rate of
the second half of 2026 added to every company that does not have that half-year yet."""

from django.db import migrations, models

# The ECB main refinancing rate in force on 1 July 2026 (raised to 2.40 % from 17 June 2026
# by the decision of 11 June 2026); the legal interest rate of that half-year is left for
# the admin to enter (see docs/penalties.md).
SECOND_HALF_2026 = (2026, 2, "2.40")


def add_second_half_2026(apps, schema_editor):
    connection = schema_editor.connection
    year, half, ecb_rate = SECOND_HALF_2026
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM portage_tenant")
        tenant_ids = [row[0] for row in cursor.fetchall()]
        for tenant_id in tenant_ids:
            # Row-level security: each company's rows are written as that company.
            cursor.execute("SELECT set_config('app.tenant_id', %s, true)", [str(tenant_id)])
            cursor.execute(
                "INSERT INTO dunning_ratesemester (tenant_id, year, half, ecb_rate, legal_rate)"
                " VALUES (%s, %s, %s, %s, NULL) ON CONFLICT DO NOTHING",
                [tenant_id, year, half, ecb_rate],
            )
        cursor.execute("SELECT set_config('app.tenant_id', '', true)")


class Migration(migrations.Migration):
    dependencies = [
        ("dunning", "0004_alter_case_state_alter_pause_kind"),
    ]

    operations = [
        migrations.AlterField(
            model_name="ratesemester",
            name="ecb_rate",
            field=models.DecimalField(
                blank=True,
                decimal_places=2,
                max_digits=5,
                null=True,
                verbose_name="ECB main refinancing rate (%)",
            ),
        ),
        migrations.AlterField(
            model_name="ratesemester",
            name="legal_rate",
            field=models.DecimalField(
                blank=True,
                decimal_places=2,
                max_digits=5,
                null=True,
                verbose_name="legal interest rate for professionals (%)",
            ),
        ),
        migrations.AddConstraint(
            model_name="ratesemester",
            constraint=models.CheckConstraint(
                condition=models.Q(("ecb_rate__isnull", False), ("legal_rate__isnull", False), _connector="OR"),
                name="dunning_rate_one_known",
            ),
        ),
        migrations.AddConstraint(
            model_name="ratesemester",
            constraint=models.CheckConstraint(
                condition=models.Q(("legal_rate__isnull", True), ("legal_rate__gte", 0), _connector="OR"),
                name="dunning_rate_legal_not_negative",
            ),
        ),
        migrations.RunPython(add_second_half_2026, migrations.RunPython.noop),
    ]
