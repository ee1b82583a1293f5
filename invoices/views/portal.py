"""The consultant's invoices in the portal: an invoice of theirs and its PDF."""

from django.http import Http404
from django.shortcuts import get_object_or_404, render

from consultants.selectors import consultant_of
from invoices.models import Invoice
from invoices.views.invoices import pdf_response
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
    return render(
        request,
        "invoices/portal_invoice.html",
        {
            "invoice": invoice,
            "lines": invoice.lines.all(),
            "credit_notes": invoice.credit_notes.all(),
        },
    )


@permission_required(Perm.PORTAL)
def portal_invoice_pdf(request, pk):
    consultant = consultant_of(user=request.user, tenant=request.tenant)
    invoice = get_object_or_404(Invoice, pk=pk, consultant=consultant)
    if invoice.is_draft:
        raise Http404
    return pdf_response(invoice)
