"""The invoices' pages: the list, a draft's form, an invoice's page, deleting a draft,
issuing it, a credit note, the PDF."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from invoices import selectors
from invoices.filters import InvoiceFilter
from invoices.forms import CreditNoteForm, InvoiceDraftForm, LineFormSet
from invoices.models import Invoice, Mission
from invoices.pdf import invoice_pdf_ensure
from invoices.services import billing
from invoices.signals import invoice_row_facts, invoice_rows, warnings_before_issue
from invoices.views.paging import paginate, sort_links
from portage.batch import paris_today
from portage.forms import add_service_error
from portage.permissions import Perm, has_perm, permission_required
from portage.selectors import audit_log

INVOICE_SORTS = ["client", "due", "lateness", "amount"]


@permission_required(Perm.VIEW_INVOICES)
def invoice_list(request):
    """The invoices with their lateness, their collection step and cover (what the apps
    above set through `invoice_rows`), filtered and sorted from the URL."""
    invoices = selectors.invoice_list(tenant=request.tenant, today=paris_today())
    filtered = InvoiceFilter(request.GET, queryset=invoices, request=request)
    return render(
        request,
        "invoices/invoice_list.html",
        {
            "filter": filtered,
            "query": request.GET.urlencode(),
            "can_manage": has_perm(request.membership, Perm.MANAGE_INVOICES),
            **invoice_table(request, filtered.qs),
        },
    )


def invoice_table(request, invoices):
    """What `invoices/includes/invoice_table.html` shows of `invoices` (sorted already, each
    with its `days_late`): the page the request asks for, its rows with what the apps above
    set on them (`invoice_rows`: collection step, cover), the links of the sortable headers,
    and whether the collection and cover columns are shown. The invoice list and a client's
    page show the same table."""
    page = paginate(request, invoices)
    page.object_list = invoice_row_facts(list(page.object_list))
    return {
        "page": page,
        "sorts": sort_links(request, INVOICE_SORTS, descending_first=("lateness", "amount")),
        "show_collection": invoice_rows.has_listeners(Invoice),
        "show_cover": any(hasattr(invoice, "cover") for invoice in page.object_list),
    }


def _draft_forms(request, tenant, invoice=None):
    initial = {}
    lines = []
    if invoice:
        initial = {
            "client": invoice.client,
            "consultant": invoice.consultant,
            "mission": invoice.mission,
            "purchase_order": invoice.purchase_order,
            "period_start": invoice.period_start,
            "period_end": invoice.period_end,
        }
        lines = [
            {
                "description": line.description,
                "quantity": line.quantity,
                "unit": line.unit,
                "unit_price": line.unit_price,
                "vat_rate": str(line.vat_rate),
            }
            for line in invoice.lines.all()
        ]
    elif "mission" in request.GET:
        mission = get_object_or_404(
            Mission.objects.select_related("client"), pk=request.GET["mission"]
        )
        initial = {
            "client": mission.client,
            "consultant": mission.consultant_id,
            "mission": mission,
            "purchase_order": mission.purchase_order,
        }
        lines = [
            {
                "description": mission.title,
                "unit": "DAY",
                "unit_price": mission.daily_rate,
                "vat_rate": "20.00",
            }
        ]
    data = request.POST if request.method == "POST" else None
    form = InvoiceDraftForm(data, tenant=tenant, initial=initial)
    formset = LineFormSet(data, initial=lines, prefix="lines")
    return form, formset


@permission_required(Perm.MANAGE_INVOICES)
def invoice_create(request):
    form, formset = _draft_forms(request, request.tenant)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            invoice = billing.invoice_draft_create(
                tenant=request.tenant,
                by=request.user,
                lines=formset.lines(),
                **form.cleaned_data,
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The draft has been saved. Check it, then issue it."))
            return redirect("invoice_detail", pk=invoice.pk)
    return render(
        request, "invoices/invoice_form.html", {"form": form, "formset": formset, "invoice": None}
    )


@permission_required(Perm.MANAGE_INVOICES)
def invoice_edit(request, pk):
    invoice = get_object_or_404(Invoice, pk=pk)
    if not invoice.is_draft:
        messages.error(request, _("An issued invoice cannot be changed: issue a credit note."))
        return redirect("invoice_detail", pk=pk)
    form, formset = _draft_forms(request, request.tenant, invoice)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            billing.invoice_draft_update(
                invoice=invoice, by=request.user, lines=formset.lines(), **form.cleaned_data
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The draft has been saved."))
            return redirect("invoice_detail", pk=pk)
    return render(
        request,
        "invoices/invoice_form.html",
        {"form": form, "formset": formset, "invoice": invoice},
    )


@permission_required(Perm.VIEW_INVOICES)
def invoice_detail(request, pk):
    invoice = get_object_or_404(
        Invoice.objects.select_related(
            "client", "consultant__user", "mission", "credited_invoice", "issued_by"
        ),
        pk=pk,
    )
    can_manage = has_perm(request.membership, Perm.MANAGE_INVOICES)
    if invoice.kind == Invoice.Kind.INVOICE and not invoice.is_draft:
        invoice_row_facts([invoice])
    return render(
        request,
        "invoices/invoice_detail.html",
        {
            "invoice": invoice,
            "today": paris_today(),
            "show_cover": hasattr(invoice, "cover"),
            "can_see_bank": has_perm(request.membership, Perm.IMPORT_BANK),
            "lines": invoice.lines.all(),
            "allocations": invoice.allocations.select_related("payment").order_by("created_at"),
            "credit_notes": invoice.credit_notes.all(),
            "can_manage": can_manage,
            "can_pay": has_perm(request.membership, Perm.RECORD_PAYMENTS) and invoice.is_open,
            "history": audit_log(tenant=request.tenant).filter(
                object_type="invoices.invoice", object_id=str(invoice.pk)
            ),
        },
    )


@permission_required(Perm.MANAGE_INVOICES)
def invoice_delete(request, pk):
    invoice = get_object_or_404(Invoice, pk=pk)
    if request.method == "POST":
        try:
            billing.invoice_draft_delete(invoice=invoice, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("invoice_detail", pk=pk)
        messages.success(request, _("The draft has been deleted."))
        return redirect("invoice_list")
    return render(request, "invoices/invoice_delete.html", {"invoice": invoice})


def _refusal(error):
    """A service's refusal to issue, as one message; the missing mentions listed."""
    missing = getattr(error, "error_dict", {}).get("missing_mentions")
    if missing:
        return _(
            "Nothing was issued: a mandatory mention is missing (%(missing)s). Complete the "
            "company's identity first."
        ) % {"missing": "; ".join(m.message for m in missing)}
    return " ".join(error.messages)


@permission_required(Perm.MANAGE_INVOICES)
def invoice_issue(request, pk):
    invoice = get_object_or_404(Invoice.objects.select_related("client", "mission"), pk=pk)
    today = paris_today()
    warnings = warnings_before_issue(invoice, today) if invoice.is_draft else []
    if request.method == "POST":
        try:
            issued = billing.invoice_issue(invoice=invoice, by=request.user)
        except ValidationError as error:
            messages.error(request, _refusal(error))
        else:
            messages.success(
                request, _("Invoice %(number)s is issued.") % {"number": issued.number}
            )
            for warning in warnings:
                messages.warning(request, warning)
        return redirect("invoice_detail", pk=pk)
    period = (invoice.period_start, invoice.period_end) if invoice.period_start else None
    if period is None and invoice.mission:
        period = billing.mission_service_period(invoice.mission, issued_on=today)
    return render(
        request,
        "invoices/invoice_issue.html",
        {
            "invoice": invoice,
            "today": today,
            "warnings": warnings,
            "missing": billing.missing_mentions(invoice) if invoice.is_draft else [],
            "period": period,
            "can_edit_company": has_perm(request.membership, Perm.MANAGE_COMPANY),
        },
    )


@permission_required(Perm.MANAGE_INVOICES)
def credit_note_create(request, pk):
    invoice = get_object_or_404(Invoice.objects.select_related("client"), pk=pk)
    form = CreditNoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            note = billing.credit_note_issue(
                invoice=invoice,
                by=request.user,
                reason=form.cleaned_data["reason"],
                lines=form.lines(),
            )
        except ValidationError as error:
            if "missing_mentions" in getattr(error, "error_dict", {}):
                form.add_error(None, _refusal(error))
            else:
                add_service_error(form, error)
        else:
            messages.success(
                request, _("Credit note %(number)s is issued.") % {"number": note.number}
            )
            return redirect("invoice_detail", pk=note.pk)
    return render(request, "invoices/credit_note_form.html", {"invoice": invoice, "form": form})


def pdf_response(invoice):
    invoice = invoice_pdf_ensure(invoice=invoice)
    return FileResponse(
        invoice.pdf.open("rb"), content_type="application/pdf", filename=f"{invoice.number}.pdf"
    )


@permission_required(Perm.VIEW_INVOICES)
def invoice_pdf(request, pk):
    invoice = get_object_or_404(Invoice, pk=pk)
    if invoice.is_draft:
        raise Http404
    return pdf_response(invoice)
