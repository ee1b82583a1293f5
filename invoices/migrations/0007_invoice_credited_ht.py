from decimal import Decimal

from django.db import migrations, models

# What each invoice's credit notes took off excl. VAT, from the credit notes already issued.
# The table forces row-level security even on its owner: lifted for this one update.
BACKFILL = """
ALTER TABLE invoices_invoice NO FORCE ROW LEVEL SECURITY;
UPDATE invoices_invoice AS invoice SET credited_ht = notes.total
  FROM (SELECT credited_invoice_id, SUM(total_ht) AS total FROM invoices_invoice
        WHERE kind = 'credit_note' AND status <> 'draft' GROUP BY credited_invoice_id) AS notes
 WHERE invoice.id = notes.credited_invoice_id;
ALTER TABLE invoices_invoice FORCE ROW LEVEL SECURITY;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("invoices", "0006_guard_service_period"),
    ]

    operations = [
        migrations.AddField(
            model_name="invoice",
            name="credited_ht",
            field=models.DecimalField(
                decimal_places=2,
                default=Decimal("0.00"),
                max_digits=12,
                verbose_name="credited excl. VAT",
            ),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
    ]
