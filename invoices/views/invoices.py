from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from consultants.selectors import consultant_of
from invoices import selectors
from invoices.filters import ClientFilter, InvoiceFilter
from invoices.forms import (
    AllocateForm,
    AllocationsForm,
    ClientForm,
    CreditNoteForm,
    DismissForm,
    InvoiceDraftForm,
    LineFormSet,
    MissionForm,
    PaymentForm,
    ReversalForm,
    StatementForm,
)
from invoices.models import BankLine, Client, Invoice, Mission, Payment
from invoices.pdf import invoice_pdf_ensure
from invoices.services import bank, billing, payments
from invoices.services.billing import CLIENT_FIELDS, MISSION_FIELDS
from invoices.signals import client_panel_context, warnings_before_issue
from portage.batch import paris_today
from portage.forms import add_service_error
from portage.permissions import Perm, has_perm, permission_required
from portage.selectors import audit_log
from portage.signals import HomePanel

PAGE_SIZE = 50


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


# Clients


@permission_required(Perm.VIEW_CLIENTS)
def client_list(request):
    filtered = ClientFilter(
        request.GET, queryset=selectors.clients_with_exposure(tenant=request.tenant)
    )
    return render(
        request,
        "invoices/client_list.html",
        {
            "filter": filtered,
            "page": _page(request, filtered.qs.order_by("-exposure", "legal_name")),
            "can_manage": has_perm(request.membership, Perm.MANAGE_CLIENTS),
        },
    )


@permission_required(Perm.MANAGE_CLIENTS)
def client_create(request):
    form = ClientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            client = billing.client_create(
                tenant=request.tenant,
                by=request.user,
                **{name: form.cleaned_data[name] for name in CLIENT_FIELDS},
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The client has been created."))
            return redirect("client_detail", pk=client.pk)
    return render(request, "invoices/client_form.html", {"form": form, "client": None})


@permission_required(Perm.VIEW_CLIENTS)
def client_detail(request, pk):
    client = get_object_or_404(Client, pk=pk)
    invoices = selectors.invoice_list(tenant=request.tenant).filter(client=client)
    return render(
        request,
        "invoices/client_detail.html",
        {
            "client": client,
            "exposure": selectors.client_exposure(client=client),
            "credit": selectors.client_credit(client=client),
            "page": _page(request, invoices),
            "payments": selectors.payments_with_unallocated(client=client)[:20],
            "missions": client.missions.select_related("consultant__user"),
            "can_manage": has_perm(request.membership, Perm.MANAGE_CLIENTS),
            "can_pay": has_perm(request.membership, Perm.RECORD_PAYMENTS),
            **client_panel_context(client, paris_today()),
        },
    )


@permission_required(Perm.MANAGE_CLIENTS)
def client_edit(request, pk):
    client = get_object_or_404(Client, pk=pk)
    form = ClientForm(request.POST or None, instance=client)
    if request.method == "POST" and form.is_valid():
        try:
            billing.client_update(
                client=client,
                by=request.user,
                **{name: form.cleaned_data[name] for name in CLIENT_FIELDS},
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The client has been saved."))
            return redirect("client_detail", pk=pk)
    return render(request, "invoices/client_form.html", {"form": form, "client": client})


@permission_required(Perm.MANAGE_CLIENTS)
def mission_create(request, pk):
    client = get_object_or_404(Client, pk=pk)
    form = MissionForm(
        request.POST or None,
        tenant=request.tenant,
        initial={"payment_terms": client.payment_terms, "payment_days": client.payment_days},
    )
    if request.method == "POST" and form.is_valid():
        try:
            billing.mission_create(
                tenant=request.tenant,
                client=client,
                by=request.user,
                consultant=form.cleaned_data["consultant"],
                **{name: form.cleaned_data[name] for name in MISSION_FIELDS},
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The mission has been created."))
            return redirect("client_detail", pk=pk)
    return render(request, "invoices/mission_form.html", {"form": form, "client": client})


# Invoices


@permission_required(Perm.VIEW_INVOICES)
def invoice_list(request):
    filtered = InvoiceFilter(
        request.GET, queryset=selectors.invoice_list(tenant=request.tenant), request=request
    )
    return render(
        request,
        "invoices/invoice_list.html",
        {
            "filter": filtered,
            "page": _page(request, filtered.qs),
            "query": request.GET.urlencode(),
            "can_manage": has_perm(request.membership, Perm.MANAGE_INVOICES),
        },
    )


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
    return render(
        request,
        "invoices/invoice_detail.html",
        {
            "invoice": invoice,
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


# Payments


@permission_required(Perm.RECORD_PAYMENTS)
def payment_create(request):
    client = (
        get_object_or_404(Client, pk=request.GET.get("client"))
        if request.GET.get("client")
        else None
    )
    if client is None:
        return render(
            request,
            "invoices/payment_client.html",
            {
                "clients": selectors.clients_with_exposure(tenant=request.tenant)
                .filter(exposure__gt=0)
                .order_by("legal_name"),
            },
        )
    open_invoices = list(selectors.open_invoices().filter(client=client).order_by("due_date", "pk"))
    initial = {"received_on": paris_today()}
    if "invoice" in request.GET:
        for invoice in open_invoices:
            if str(invoice.pk) == request.GET["invoice"]:
                initial.update(
                    amount=invoice.balance, **{f"allocate_{invoice.pk}": invoice.balance}
                )
    form = PaymentForm(request.POST or None, invoices=open_invoices, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            payment = payments.payment_record(
                client=client,
                by=request.user,
                allocations=form.allocations(),
                amount=form.cleaned_data["amount"],
                received_on=form.cleaned_data["received_on"],
                method=form.cleaned_data["method"],
                reference=form.cleaned_data["reference"],
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The payment has been recorded."))
            return redirect("payment_detail", pk=payment.pk)
    return render(request, "invoices/payment_form.html", {"form": form, "client": client})


@permission_required(Perm.VIEW_INVOICES)
def payment_detail(request, pk):
    payment = get_object_or_404(
        Payment.objects.select_related("client", "created_by", "reversed_by"), pk=pk
    )
    left = payments.unallocated(payment)
    can_record = has_perm(request.membership, Perm.RECORD_PAYMENTS)
    allocate_form = None
    if can_record and left > 0:
        allocate_form = AllocateForm(
            invoices=selectors.open_invoices().filter(client=payment.client),
            initial={"amount": left},
        )
    return render(
        request,
        "invoices/payment_detail.html",
        {
            "payment": payment,
            "allocations": payment.allocations.select_related("invoice").order_by("created_at"),
            "unallocated": left,
            "can_record": can_record,
            "allocate_form": allocate_form,
        },
    )


@permission_required(Perm.RECORD_PAYMENTS)
def payment_allocate(request, pk):
    payment = get_object_or_404(Payment.objects.select_related("client"), pk=pk)
    form = AllocateForm(
        request.POST or None, invoices=selectors.open_invoices().filter(client=payment.client)
    )
    if request.method == "POST" and form.is_valid():
        try:
            payments.payment_allocate(payment=payment, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The credit has been allocated."))
    elif request.method == "POST":
        messages.error(request, _("Choose an open invoice and an amount."))
    return redirect("payment_detail", pk=pk)


@permission_required(Perm.RECORD_PAYMENTS)
def payment_reverse(request, pk):
    payment = get_object_or_404(Payment.objects.select_related("client"), pk=pk)
    form = ReversalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            payments.payment_reverse(
                payment=payment, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The payment has been reversed."))
            return redirect("payment_detail", pk=pk)
    return render(request, "invoices/payment_reverse.html", {"payment": payment, "form": form})


# Bank statements


@permission_required(Perm.IMPORT_BANK)
def bank_queue(request):
    form = StatementForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = bank.statement_import(
                tenant=request.tenant, content=upload.read(), filename=upload.name, by=request.user
            )
        except ValidationError as error:
            form.add_error("file", error)
        else:
            if result.already_imported:
                messages.info(request, _("This statement was already imported: nothing new."))
            else:
                messages.success(
                    request,
                    ngettext(
                        "%(imported)s credit imported (matched to an invoice: %(matched)s). "
                        "Left aside: debits, %(debits)s; lines already imported, %(duplicates)s.",
                        "%(imported)s credits imported (matched to invoices: %(matched)s). "
                        "Left aside: debits, %(debits)s; lines already imported, %(duplicates)s.",
                        result.imported,
                    )
                    % {
                        "imported": result.imported,
                        "matched": result.matched,
                        "debits": result.skipped_debits,
                        "duplicates": result.skipped_duplicates,
                    },
                )
            return redirect("bank_queue")
    waiting = (
        BankLine.objects.filter(
            tenant=request.tenant,
            status__in=[BankLine.Status.SUGGESTED, BankLine.Status.UNMATCHED],
        )
        .select_related("suggested_client", "statement")
        .prefetch_related("suggestions__invoice")
        .order_by("-status", "booking_date", "pk")
    )
    return render(
        request, "invoices/bank_queue.html", {"form": form, "page": _page(request, waiting)}
    )


@permission_required(Perm.IMPORT_BANK)
def bank_line_detail(request, pk):
    line = get_object_or_404(
        BankLine.objects.select_related("statement", "suggested_client", "payment"), pk=pk
    )
    client_id = request.POST.get("client") or request.GET.get("client") or line.suggested_client_id
    client = get_object_or_404(Client, pk=client_id) if client_id else None
    invoices = (
        list(selectors.open_invoices().filter(client=client).order_by("due_date", "pk"))
        if client
        else []
    )
    suggested = {s.invoice_id: s.amount for s in line.suggestions.all()}
    if client and client.pk != line.suggested_client_id:
        suggested = dict(
            (i.pk, part) for i, part in payments.split_over_invoices(line.amount, invoices)
        )
    form = AllocationsForm(
        request.POST if request.method == "POST" and "confirm" in request.POST else None,
        invoices=invoices,
        initial={f"allocate_{pk}": amount for pk, amount in suggested.items()},
    )
    if request.method == "POST" and "confirm" in request.POST and client and form.is_valid():
        try:
            payment = bank.bank_line_confirm(
                line=line, by=request.user, client=client, allocations=form.allocations()
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The payment has been recorded."))
            return redirect("payment_detail", pk=payment.pk)
    return render(
        request,
        "invoices/bank_line.html",
        {
            "line": line,
            "client": client,
            "form": form,
            "dismiss_form": DismissForm(),
            "clients": Client.objects.filter(tenant=request.tenant).order_by("legal_name"),
        },
    )


@permission_required(Perm.IMPORT_BANK)
def bank_line_dismiss(request, pk):
    line = get_object_or_404(BankLine, pk=pk)
    form = DismissForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            bank.bank_line_dismiss(line=line, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The line is out of the queue."))
            return redirect("bank_queue")
    else:
        messages.error(request, _("Say why this line is not a client payment."))
    return redirect("bank_line_detail", pk=pk)


# The consultant's portal


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


def collector_home_panels(sender, request, **kwargs):
    """Billing's part of the collector's home (answers `home_panels`): overdue invoices,
    bank credits to match, drafts to issue, and the longest overdue."""
    today = paris_today()
    context = {
        "today": today,
        "overdue": selectors.overdue_summary(tenant=request.tenant, today=today),
        "drafts": Invoice.objects.filter(
            tenant=request.tenant, status=Invoice.Status.DRAFT
        ).count(),
        "bank_waiting": BankLine.objects.filter(
            tenant=request.tenant,
            status__in=[BankLine.Status.SUGGESTED, BankLine.Status.UNMATCHED],
        ).count(),
        "most_overdue": selectors.open_invoices()
        .filter(tenant=request.tenant, due_date__lt=today)
        .select_related("client", "consultant__user")
        .order_by("due_date")[:10],
    }
    return [HomePanel(order=40, template="invoices/home/collector.html", context=context)]
