from celery import shared_task
from django.utils import timezone

from invoices.models import Invoice
from invoices.pdf import invoice_pdf_ensure
from invoices.services.notices import payment_notices_send_due
from portage.tasks import TenantTask


@shared_task(base=TenantTask, name="invoices.tasks.render_invoice_pdf", acks_late=True)
def render_invoice_pdf_task(*, tenant, invoice_id):
    """Render an issued invoice's PDF once (idempotent: a rendered PDF is kept as it is)."""
    invoice_pdf_ensure(invoice=Invoice.objects.get(pk=invoice_id))


@shared_task(name="invoices.tasks.send_due_payment_notices", acks_late=True)
def send_due_payment_notices_task():
    """Emails the payment notices whose email did not leave after their commit."""
    return payment_notices_send_due(now=timezone.now())
