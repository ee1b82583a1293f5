"""Webhooks: the endpoints a company's admin registers, the events the platform emits, and
each event's delivery to each endpoint with the log of its attempts.

An event is written in the transaction of the change it tells about, with one delivery per
subscribed endpoint; the deliveries leave once that transaction commits (see
`webhooks.services`, and `webhooks.dispatch` for each attempt).
"""

import secrets
import uuid

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portage.models import TenantOwned, User


class EventType(models.TextChoices):
    """What an endpoint may subscribe to."""

    INVOICE_ISSUED = "invoice.issued", _("An invoice was issued")
    INVOICE_PAID = "invoice.paid", _("An invoice was paid in full")
    PAYMENT_CREATED = "payment.created", _("A payment was recorded")
    DUNNING_STEP_PERFORMED = "dunning.step_performed", _("A dunning step was performed")
    CLAIM_FILED = "claim.filed", _("A claim was filed with the insurer")
    CLAIM_INDEMNIFIED = "claim.indemnified", _("The insurer paid a claim's indemnity")
    INVOICE_LIFECYCLE_STATUS = (
        "invoice.lifecycle_status",
        _("The e-invoicing platform or the buyer gave an invoice a status"),
    )


# Sent to one endpoint by hand from its page, to check it answers; nobody subscribes to it.
PING = "ping"


def new_secret():
    return f"whsec_{secrets.token_urlsafe(32)}"


class Endpoint(TenantOwned):
    """A URL of the company's that receives the events it subscribed to, signed with its
    own secret."""

    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    events = ArrayField(
        models.CharField(max_length=40, choices=EventType.choices), verbose_name=_("events")
    )
    # Kept readable: the platform signs with it, and the admin copies it to the receiver.
    secret = models.CharField(_("signing secret"), max_length=100, default=new_secret)
    is_active = models.BooleanField(_("active"), default=True)
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)
    disabled_reason = models.CharField(_("why it was disabled"), max_length=300, blank=True)
    consecutive_failures = models.PositiveIntegerField(_("failed attempts in a row"), default=0)
    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True)
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.description or self.url


class Event(TenantOwned):
    """Something that happened in the company, as receivers see it. Its id is its sequence:
    it grows with every event, so receivers put events in order by it (with gaps)."""

    uid = models.UUIDField(default=uuid.uuid4, editable=False)
    type = models.CharField(_("type"), max_length=40)
    data = models.JSONField(_("data"))
    occurred_at = models.DateTimeField(_("occurred at"), default=timezone.now)

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "uid"], name="webhooks_event_uid_unique")
        ]

    def __str__(self):
        return f"{self.type} #{self.pk}"

    @property
    def public_id(self):
        return f"evt_{self.uid.hex}"


class Delivery(TenantOwned):
    """One event for one endpoint, tried until the endpoint answers 2xx or the attempts run
    out."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Delivered")
        DEAD = "dead", _("Given up")

    uid = models.UUIDField(default=uuid.uuid4, editable=False)
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="deliveries")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    last_status_code = models.PositiveIntegerField(_("last status code"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    last_response_excerpt = models.TextField(_("last response"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "endpoint", "event"], name="webhooks_delivery_once"
            ),
            models.UniqueConstraint(fields=["tenant", "uid"], name="webhooks_delivery_uid_unique"),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhooks_delivery_due"),
        ]

    def __str__(self):
        return f"{self.event} → {self.endpoint}"

    @property
    def public_id(self):
        return f"dlv_{self.uid.hex}"


class Attempt(TenantOwned):
    """One POST of a delivery: the log the admin reads."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="log")
    at = models.DateTimeField(_("at"))
    status_code = models.PositiveIntegerField(_("status code"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    response_excerpt = models.TextField(_("response"), blank=True)

    class Meta:
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        ordering = ["at", "id"]

    @property
    def succeeded(self):
        return self.status_code is not None and 200 <= self.status_code < 300
