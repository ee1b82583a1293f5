"""Reads for the webhooks pages."""

from django.db.models import OuterRef, Subquery

from webhooks.models import Delivery, Endpoint


def endpoints_with_last_delivery():
    """The company's endpoints, each with its last delivery's status, time and code."""
    last = Delivery.objects.filter(endpoint=OuterRef("pk")).order_by("-id")
    return Endpoint.objects.annotate(
        last_status=Subquery(last.values("status")[:1]),
        last_at=Subquery(last.values("last_attempt_at")[:1]),
        last_code=Subquery(last.values("last_status_code")[:1]),
        last_event_type=Subquery(last.values("event__type")[:1]),
    ).order_by("created_at", "id")


def endpoint_deliveries(endpoint, *, status=None):
    """An endpoint's deliveries, newest first, with their events and attempts."""
    deliveries = (
        Delivery.objects.filter(endpoint=endpoint)
        .select_related("event")
        .prefetch_related("log")
        .order_by("-id")
    )
    if status in Delivery.Status.values:
        deliveries = deliveries.filter(status=status)
    return deliveries
