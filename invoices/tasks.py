from celery import shared_task

from invoices.models import Invoice
from invoices.pdf import invoice_pdf_ensure
from portage.tasks import TenantTask


@shared_task(base=TenantTask, name="invoices.tasks.render_invoice_pdf", acks_late=True)
def render_invoice_pdf_task(*, tenant, invoice_id):
    """Render an issued invoice's PDF once (idempotent: a rendered PDF is kept as it is)."""
    invoice_pdf_ensure(invoice=Invoice.objects.get(pk=invoice_id))
