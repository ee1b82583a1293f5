from django.db import migrations

# What was issued stays as issued, whoever asks: the service refuses first, PostgreSQL last.
# On an issued invoice only the amounts paid and credited, the status that follows them
# and the PDF (once) may change; a draft may change freely and be deleted.
INVOICE_GUARD = """
CREATE FUNCTION invoices_invoice_guard() RETURNS trigger LANGUAGE plpgsql AS $$
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
               NEW.seller, NEW.buyer, NEW.issued_at, NEW.issued_by_id)
              IS DISTINCT FROM
              (OLD.tenant_id, OLD.kind, OLD.number, OLD.client_id, OLD.consultant_id,
               OLD.mission_id, OLD.credited_invoice_id, OLD.issue_date, OLD.due_date,
               OLD.payment_terms, OLD.payment_days, OLD.purchase_order, OLD.reason,
               OLD.currency, OLD.total_ht, OLD.total_vat, OLD.total_ttc, OLD.fee_rate,
               OLD.seller, OLD.buyer, OLD.issued_at, OLD.issued_by_id) THEN
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
CREATE TRIGGER invoices_invoice_guard BEFORE UPDATE OR DELETE ON invoices_invoice
    FOR EACH ROW EXECUTE FUNCTION invoices_invoice_guard();

CREATE FUNCTION invoices_line_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    parent_status text;
BEGIN
    SELECT status INTO parent_status FROM invoices_invoice
        WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.invoice_id ELSE NEW.invoice_id END;
    IF parent_status IS DISTINCT FROM 'draft' THEN
        RAISE EXCEPTION 'the lines of an issued invoice cannot change'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER invoices_line_guard BEFORE INSERT OR UPDATE OR DELETE ON invoices_invoiceline
    FOR EACH ROW EXECUTE FUNCTION invoices_line_guard();

-- A payment keeps its amount, client and date; only its reversal is recorded on it.
CREATE FUNCTION invoices_payment_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.tenant_id, NEW.client_id, NEW.amount, NEW.received_on, NEW.method, NEW.reference,
        NEW.created_at, NEW.created_by_id)
       IS DISTINCT FROM
       (OLD.tenant_id, OLD.client_id, OLD.amount, OLD.received_on, OLD.method, OLD.reference,
        OLD.created_at, OLD.created_by_id)
       OR OLD.status = 'reversed' THEN
        RAISE EXCEPTION 'a recorded payment is not changed; reverse it instead'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER invoices_payment_guard BEFORE UPDATE ON invoices_payment
    FOR EACH ROW EXECUTE FUNCTION invoices_payment_guard();

-- An allocation is only ever undone.
CREATE FUNCTION invoices_allocation_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.tenant_id, NEW.payment_id, NEW.invoice_id, NEW.amount, NEW.created_at)
       IS DISTINCT FROM (OLD.tenant_id, OLD.payment_id, OLD.invoice_id, OLD.amount, OLD.created_at)
       OR (NEW.is_active AND NOT OLD.is_active) THEN
        RAISE EXCEPTION 'an allocation is only ever undone'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER invoices_allocation_guard BEFORE UPDATE ON invoices_allocation
    FOR EACH ROW EXECUTE FUNCTION invoices_allocation_guard();

CREATE TRIGGER invoices_payment_no_delete BEFORE DELETE ON invoices_payment
    FOR EACH ROW EXECUTE FUNCTION portage_refuse_delete();
CREATE TRIGGER invoices_allocation_no_delete BEFORE DELETE ON invoices_allocation
    FOR EACH ROW EXECUTE FUNCTION portage_refuse_delete();
CREATE TRIGGER invoices_bankstatement_no_delete BEFORE DELETE ON invoices_bankstatement
    FOR EACH ROW EXECUTE FUNCTION portage_refuse_delete();
CREATE TRIGGER invoices_bankline_no_delete BEFORE DELETE ON invoices_bankline
    FOR EACH ROW EXECUTE FUNCTION portage_refuse_delete();
"""

DROP = """
DROP TRIGGER invoices_bankline_no_delete ON invoices_bankline;
DROP TRIGGER invoices_bankstatement_no_delete ON invoices_bankstatement;
DROP TRIGGER invoices_allocation_no_delete ON invoices_allocation;
DROP TRIGGER invoices_payment_no_delete ON invoices_payment;
DROP TRIGGER invoices_allocation_guard ON invoices_allocation;
DROP FUNCTION invoices_allocation_guard();
DROP TRIGGER invoices_payment_guard ON invoices_payment;
DROP FUNCTION invoices_payment_guard();
DROP TRIGGER invoices_line_guard ON invoices_invoiceline;
DROP FUNCTION invoices_line_guard();
DROP TRIGGER invoices_invoice_guard ON invoices_invoice;
DROP FUNCTION invoices_invoice_guard();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("invoices", "0001_initial"),
        ("portage", "0004_tenant_invoicing_settings"),
    ]

    operations = [migrations.RunSQL(INVOICE_GUARD, DROP)]
