"""The admin's webhooks pages: endpoints (list, create, edit, disable, enable, delete, test)
and each endpoint's delivery log, where a delivery is sent again by hand."""

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from portage.permissions import Perm, permission_required
from webhooks import dispatch, selectors, services
from webhooks.forms import EndpointForm
from webhooks.models import Delivery, Endpoint


def _list(request, form):
    endpoints = list(selectors.endpoints_with_last_delivery())
    labels = dict(Delivery.Status.choices)
    for endpoint in endpoints:
        endpoint.last_status_label = labels.get(endpoint.last_status, "")
    return render(request, "webhooks/endpoint_list.html", {"endpoints": endpoints, "form": form})


@permission_required(Perm.MANAGE_COMPANY)
def endpoint_list(request):
    return _list(request, EndpointForm())


@permission_required(Perm.MANAGE_COMPANY)
@require_POST
def endpoint_create(request):
    form = EndpointForm(request.POST)
    if form.is_valid():
        try:
            endpoint = services.endpoint_create(
                tenant=request.tenant, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request,
                _("The endpoint is registered. Copy its signing secret to your receiver."),
            )
            return redirect("webhook_endpoint", endpoint.pk)
    return _list(request, form)


@permission_required(Perm.MANAGE_COMPANY)
@never_cache
def endpoint_detail(request, pk):
    endpoint = get_object_or_404(Endpoint, pk=pk)
    status = request.GET.get("status", "")
    page = Paginator(selectors.endpoint_deliveries(endpoint, status=status), 25).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "webhooks/endpoint_detail.html",
        {
            "endpoint": endpoint,
            "page": page,
            "status": status,
            "statuses": Delivery.Status.choices,
        },
    )


@permission_required(Perm.MANAGE_COMPANY)
def endpoint_edit(request, pk):
    endpoint = get_object_or_404(Endpoint, pk=pk)
    initial = {"url": endpoint.url, "description": endpoint.description, "events": endpoint.events}
    form = EndpointForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.endpoint_update(endpoint=endpoint, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The endpoint has been saved."))
            return redirect("webhook_endpoint", endpoint.pk)
    return render(request, "webhooks/endpoint_form.html", {"endpoint": endpoint, "form": form})


@permission_required(Perm.MANAGE_COMPANY)
@require_POST
def endpoint_disable(request, pk):
    endpoint = get_object_or_404(Endpoint, pk=pk)
    dispatch.endpoint_disable(endpoint=endpoint, by=request.user, reason=_("Disabled by hand."))
    messages.success(request, _("The endpoint is disabled: no event is sent to it."))
    return redirect("webhook_endpoint", endpoint.pk)


@permission_required(Perm.MANAGE_COMPANY)
@require_POST
def endpoint_enable(request, pk):
    endpoint = get_object_or_404(Endpoint, pk=pk)
    services.endpoint_enable(endpoint=endpoint, by=request.user)
    messages.success(request, _("The endpoint is enabled: the events waiting are sent now."))
    return redirect("webhook_endpoint", endpoint.pk)


@permission_required(Perm.MANAGE_COMPANY)
def endpoint_delete(request, pk):
    endpoint = get_object_or_404(Endpoint, pk=pk)
    if request.method == "POST":
        services.endpoint_delete(endpoint=endpoint, by=request.user)
        messages.success(request, _("The endpoint and its delivery log have been deleted."))
        return redirect("webhook_list")
    return render(request, "webhooks/endpoint_delete.html", {"endpoint": endpoint})


@permission_required(Perm.MANAGE_COMPANY)
@require_POST
def endpoint_ping(request, pk):
    endpoint = get_object_or_404(Endpoint, pk=pk)
    try:
        services.endpoint_ping(endpoint=endpoint, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("A test event is on its way; its delivery is listed below."))
    return redirect("webhook_endpoint", endpoint.pk)


@permission_required(Perm.MANAGE_COMPANY)
@never_cache
def delivery_detail(request, pk):
    delivery = get_object_or_404(
        Delivery.objects.select_related("endpoint", "event").prefetch_related("log"), pk=pk
    )
    body = json.dumps(dispatch.envelope(delivery.event), indent=2, ensure_ascii=False)
    return render(request, "webhooks/delivery_detail.html", {"delivery": delivery, "body": body})


@permission_required(Perm.MANAGE_COMPANY)
@require_POST
def delivery_replay(request, pk):
    delivery = get_object_or_404(Delivery.objects.select_related("endpoint", "event"), pk=pk)
    try:
        services.delivery_replay(delivery=delivery, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The event is being sent again."))
    return redirect("webhook_endpoint", delivery.endpoint_id)
