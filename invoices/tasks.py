from celery import shared_task

from portage.tasks import TenantTask


@shared_task(base=TenantTask, acks_late=True)
def render_invoice_pdf(*, tenant, invoice_id):
    """Render an issued invoice's PDF once (idempotent: a rendered PDF is kept as it is)."""
    from invoices.models import Invoice
    from invoices.pdf import invoice_pdf_ensure

    invoice_pdf_ensure(invoice=Invoice.objects.get(pk=invoice_id))
