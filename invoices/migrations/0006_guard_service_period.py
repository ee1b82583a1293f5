from django.db import migrations

# The service period (BT-73, BT-74) joins what an issued invoice keeps as issued.
SQL = """
CREATE OR REPLACE FUNCTION invoices_invoice_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status <> 'draft' THEN
            RAISE EXCEPTION 'invoice % is issued: it is never deleted', OLD.number
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.status <> 'draft' THEN
        IF NEW.status = 'draft'
           OR (NEW.tenant_id, NEW.kind, NEW.number, NEW.client_id, NEW.consultant_id,
               NEW.mission_id, NEW.credited_invoice_id, NEW.issue_date, NEW.due_date,
               NEW.payment_terms, NEW.payment_days, NEW.purchase_order, NEW.reason,
               NEW.currency, NEW.total_ht, NEW.total_vat, NEW.total_ttc, NEW.fee_rate,
               NEW.pay_model, NEW.period_start, NEW.period_end, NEW.seller, NEW.buyer,
               NEW.issued_at, NEW.issued_by_id)
              IS DISTINCT FROM
              (OLD.tenant_id, OLD.kind, OLD.number, OLD.client_id, OLD.consultant_id,
               OLD.mission_id, OLD.credited_invoice_id, OLD.issue_date, OLD.due_date,
               OLD.payment_terms, OLD.payment_days, OLD.purchase_order, OLD.reason,
               OLD.currency, OLD.total_ht, OLD.total_vat, OLD.total_ttc, OLD.fee_rate,
               OLD.pay_model, OLD.period_start, OLD.period_end, OLD.seller, OLD.buyer,
               OLD.issued_at, OLD.issued_by_id) THEN
            RAISE EXCEPTION 'invoice % is issued: it cannot be changed', OLD.number
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF OLD.pdf <> '' AND NEW.pdf IS DISTINCT FROM OLD.pdf THEN
            RAISE EXCEPTION 'the PDF of invoice % is rendered once', OLD.number
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    END IF;
    RETURN NEW;
END
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("invoices", "0005_client_directory_checked_on_and_more")]

    operations = [migrations.RunSQL(SQL, migrations.RunSQL.noop)]
