"""The clients' pages: the list by exposure, a client's page, its form, a new mission."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from invoices import selectors
from invoices.filters import ClientFilter, InvoiceSortFilter
from invoices.forms import ClientForm, MissionForm
from invoices.models import Client
from invoices.services import billing
from invoices.services.billing import CLIENT_FIELDS, MISSION_FIELDS
from invoices.signals import client_panel_context
from invoices.views.invoices import invoice_table
from invoices.views.paging import paginate, sort_links
from portage.batch import paris_today
from portage.forms import add_service_error
from portage.permissions import Perm, has_perm, permission_required


@permission_required(Perm.VIEW_CLIENTS)
def client_list(request):
    clients = selectors.clients_with_exposure(tenant=request.tenant).order_by(
        "-exposure", "legal_name"
    )
    filtered = ClientFilter(request.GET, queryset=clients)
    return render(
        request,
        "invoices/client_list.html",
        {
            "filter": filtered,
            "page": paginate(request, filtered.qs),
            "sorts": sort_links(request, CLIENT_SORTS, descending_first=("exposure",)),
            "can_manage": has_perm(request.membership, Perm.MANAGE_CLIENTS),
        },
    )


CLIENT_SORTS = ["client", "city", "exposure"]


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
    invoices = selectors.invoice_list(tenant=request.tenant, today=paris_today()).filter(
        client=client
    )
    sorted_ = InvoiceSortFilter(request.GET, queryset=invoices, request=request).qs
    return render(
        request,
        "invoices/client_detail.html",
        {
            "client": client,
            "exposure": selectors.client_exposure(client=client),
            "credit": selectors.client_credit(client=client),
            **invoice_table(request, sorted_),
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
