"""The bank pages: importing a statement, the queue of credits to match, a credit line
confirmed as a payment or dismissed."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from invoices import selectors
from invoices.forms import AllocationsForm, DismissForm, StatementForm
from invoices.models import BankLine, Client
from invoices.services import bank, payments
from invoices.views.paging import paginate, sort_links
from portage.forms import add_service_error
from portage.permissions import Perm, permission_required
from portage.templatetags.portage import euros


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
    )
    sort = request.GET.get("o", "")
    order = QUEUE_SORTS.get(sort.lstrip("-"))
    if order:
        waiting = waiting.order_by(f"-{order}" if sort.startswith("-") else order, "pk")
    else:
        waiting = waiting.order_by("-status", "booking_date", "pk")
    return render(
        request,
        "invoices/bank_queue.html",
        {
            "form": form,
            "page": paginate(request, waiting),
            "sorts": sort_links(request, list(QUEUE_SORTS), descending_first=("amount",)),
            "proposed": waiting.filter(status=BankLine.Status.SUGGESTED).count(),
        },
    )


# The queue's sortable columns (`?o=amount`, `?o=-date`) and the field each sorts by.
QUEUE_SORTS = {"date": "booking_date", "payer": "counterparty", "amount": "amount"}


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
            messages.success(
                request,
                _("The payment of %(amount)s from %(client)s has been recorded.")
                % {"amount": euros(payment.amount), "client": payment.client},
            )
            return redirect("bank_queue")
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
def bank_confirm_all(request):
    """Every proposed match recorded as a payment at once, after the collector has seen
    the list and confirmed."""
    if request.method == "POST" and "confirm" in request.POST:
        result = bank.bank_lines_confirm_proposed(tenant=request.tenant, by=request.user)
        if result.payments:
            messages.success(
                request,
                ngettext(
                    "%(count)s payment recorded from the proposed matches.",
                    "%(count)s payments recorded from the proposed matches.",
                    len(result.payments),
                )
                % {"count": len(result.payments)},
            )
        for line, reason in result.refused:
            messages.error(
                request,
                _("The credit of %(amount)s of %(day)s is left in the queue: %(reason)s")
                % {
                    "amount": euros(line.amount),
                    "day": f"{line.booking_date:%d/%m/%Y}",
                    "reason": reason,
                },
            )
        return redirect("bank_queue")
    lines = (
        BankLine.objects.filter(tenant=request.tenant, status=BankLine.Status.SUGGESTED)
        .select_related("suggested_client")
        .prefetch_related("suggestions__invoice")
        .order_by("booking_date", "pk")
    )
    return render(request, "invoices/bank_confirm_all.html", {"lines": lines})


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
