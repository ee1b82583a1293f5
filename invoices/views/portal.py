"""The consultant's invoices in the portal: an invoice of theirs and its PDF."""

from django.http import Http404
from django.shortcuts import get_object_or_404, render

from consultants.models import Consultant
from consultants.selectors import consultant_of
from consultants.signals import portal_invoices
from invoices.models import Invoice
from invoices.pay import payment_notices, portal_pay_facts
from invoices.views.invoices import pdf_response
from portage.batch import paris_today
from portage.permissions import Perm, permission_required


@permission_required(Perm.PORTAL)
def portal_invoice(request, pk):
    consultant = consultant_of(user=request.user, tenant=request.tenant)
    invoice = get_object_or_404(
        Invoice.objects.select_related("client"),
        pk=pk,
        consultant=consultant,
        kind=Invoice.Kind.INVOICE,
    )
    if invoice.is_draft:
        raise Http404
    today = paris_today()
    portal_pay_facts(consultant=consultant, invoices=[invoice], today=today)
    portal_invoices.send(sender=Consultant, consultant=consultant, invoices=[invoice], today=today)
    return render(
        request,
        "invoices/portal_invoice.html",
        {
            "invoice": invoice,
            "lines": invoice.lines.all(),
            "credit_notes": invoice.credit_notes.all(),
            "notices": payment_notices(consultant=consultant, invoice=invoice),
            "today": today,
        },
    )


@permission_required(Perm.PORTAL)
def portal_invoice_pdf(request, pk):
    consultant = consultant_of(user=request.user, tenant=request.tenant)
    invoice = get_object_or_404(Invoice, pk=pk, consultant=consultant)
    if invoice.is_draft:
        raise Http404
    return pdf_response(invoice)
