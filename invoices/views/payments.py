"""The payments' pages: the list, recording a payment, its page, allocating what is left
of it, reversing it."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from invoices import selectors
from invoices.filters import PaymentFilter
from invoices.forms import AllocateForm, PaymentForm, ReversalForm
from invoices.models import Client, Payment
from invoices.services import payments
from invoices.views.paging import paginate, sort_links
from portage.batch import paris_today
from portage.forms import add_service_error
from portage.permissions import Perm, has_perm, permission_required

PAYMENT_SORTS = ["client", "date", "amount", "reference"]


@permission_required(Perm.VIEW_INVOICES)
def payment_list(request):
    """The payments received, searched by client, amount, date and reference, sorted by a
    column; each with what is left of it to allocate."""
    filtered = PaymentFilter(
        request.GET, queryset=selectors.payment_list(tenant=request.tenant), request=request
    )
    return render(
        request,
        "invoices/payment_list.html",
        {
            "filter": filtered,
            "page": paginate(request, filtered.qs),
            "sorts": sort_links(request, PAYMENT_SORTS, descending_first=("date", "amount")),
            "can_record": has_perm(request.membership, Perm.RECORD_PAYMENTS),
        },
    )


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
