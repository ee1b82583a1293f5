"""Webhooks: endpoints registered by the company's admin, and events emitted in the
transaction of the change they tell about, each with a delivery per endpoint listening,
sent after the commit by a task (`webhooks.tasks.deliver_task`). The attempt itself, its
retries and the endpoint disabled when its deliveries die are `webhooks.dispatch`'s, which
the tasks run (the delivery contract is in its docstring).
"""

import json

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portage.services import audit_record
from webhooks.dispatch import check_url
from webhooks.models import PING, Attempt, Delivery, Endpoint, Event, EventType
from webhooks.tasks import deliver_task

# Endpoints


def _clean_events(events):
    events = sorted(set(events or []))
    unknown = [name for name in events if name not in EventType.values]
    if unknown:
        raise ValidationError({"events": _("Unknown events: %s") % ", ".join(unknown)})
    if not events:
        raise ValidationError({"events": _("Choose at least one event.")})
    return events


def _clean(url, events, description):
    errors = {}
    for check in (lambda: check_url(url), lambda: _clean_events(events)):
        try:
            check()
        except ValidationError as error:
            errors.update(error.message_dict)
    if len(description or "") > 200:
        errors["description"] = [_("At most 200 characters.")]
    if errors:
        raise ValidationError(errors)
    return _clean_events(events)


@transaction.atomic
def endpoint_create(*, tenant, url, events, by, description=""):
    """A new endpoint, active, with its own signing secret."""
    events = _clean(url, events, description)
    endpoint = Endpoint.objects.create(
        tenant=tenant,
        url=url,
        events=events,
        description=(description or "").strip(),
        created_by=by,
    )
    audit_record(
        tenant=tenant,
        actor=by,
        action="webhooks.endpoint_created",
        obj=endpoint,
        after={"url": url, "events": events},
    )
    return endpoint


@transaction.atomic
def endpoint_update(*, endpoint, by, url, events, description=""):
    events = _clean(url, events, description)
    before = {"url": endpoint.url, "events": endpoint.events, "description": endpoint.description}
    endpoint.url = url
    endpoint.events = events
    endpoint.description = (description or "").strip()
    endpoint.save(update_fields=["url", "events", "description", "updated_at"])
    after = {"url": endpoint.url, "events": endpoint.events, "description": endpoint.description}
    audit_record(
        tenant=endpoint.tenant,
        actor=by,
        action="webhooks.endpoint_updated",
        obj=endpoint,
        before=before,
        after=after,
    )
    return endpoint


@transaction.atomic
def endpoint_enable(*, endpoint, by, now=None):
    """Sends again, from a clean slate: the deliveries still pending go out at once."""
    if endpoint.is_active:
        return endpoint
    endpoint.is_active = True
    endpoint.disabled_at = None
    endpoint.disabled_reason = ""
    endpoint.consecutive_failures = 0
    endpoint.failing_since = None
    endpoint.save()
    now = now or timezone.now()
    waiting = list(
        endpoint.deliveries.filter(status=Delivery.Status.PENDING).values_list("pk", flat=True)
    )
    Delivery.objects.filter(pk__in=waiting).update(next_attempt_at=now)
    _send_after_commit(endpoint.tenant, waiting)
    audit_record(tenant=endpoint.tenant, actor=by, action="webhooks.endpoint_enabled", obj=endpoint)
    return endpoint


@transaction.atomic
def endpoint_delete(*, endpoint, by):
    """Deletes the endpoint with its deliveries and their log (the events stay)."""
    audit_record(
        tenant=endpoint.tenant,
        actor=by,
        action="webhooks.endpoint_deleted",
        obj=endpoint,
        before={"url": endpoint.url, "events": endpoint.events},
    )
    Attempt.objects.filter(delivery__endpoint=endpoint).delete()
    endpoint.deliveries.all().delete()
    endpoint.delete()


def endpoint_ping(*, endpoint, by, now=None):
    """A `ping` event for this endpoint only, to check that it answers and verifies."""
    if not endpoint.is_active:
        raise ValidationError(
            _("Enable the endpoint before sending it a test event."), code="state"
        )
    event = emit(
        tenant=endpoint.tenant,
        type=PING,
        data={"endpoint": endpoint.pk, "message": "Hello from Portage"},
        endpoints=[endpoint],
        now=now,
    )
    return event.deliveries.get()


# Events


def emit(*, tenant, type, data, endpoints=None, now=None):
    """Writes the event and one delivery per active endpoint subscribed to `type`, in the
    caller's transaction; they are sent once it commits (a rolled-back change or a dry run
    sends nothing). `data` is a dict, or a function returning it, called only when some
    endpoint listens. Returns the event, or None when nobody listens."""
    if endpoints is None:
        endpoints = list(Endpoint.objects.filter(is_active=True, events__contains=[type]))
    if not endpoints:
        return None
    now = now or timezone.now()
    data = data() if callable(data) else data
    event = Event.objects.create(
        tenant=tenant,
        type=type,
        data=json.loads(json.dumps(data, cls=DjangoJSONEncoder)),
        occurred_at=now,
    )
    deliveries = Delivery.objects.bulk_create(
        [
            Delivery(tenant=tenant, endpoint=endpoint, event=event, next_attempt_at=now)
            for endpoint in endpoints
        ]
    )
    _send_after_commit(tenant, [delivery.pk for delivery in deliveries])
    return event


def emit_many(*, tenant, type, datas, endpoints=None, now=None):
    """`emit` for many events of one type at once (a daily batch's thousands), in order:
    their events in one INSERT, their deliveries in another. `datas` are dicts. Returns the
    events, or [] when nobody listens."""
    if endpoints is None:
        endpoints = list(Endpoint.objects.filter(is_active=True, events__contains=[type]))
    if not endpoints or not datas:
        return []
    now = now or timezone.now()
    events = Event.objects.bulk_create(
        Event(
            tenant=tenant,
            type=type,
            data=json.loads(json.dumps(data, cls=DjangoJSONEncoder)),
            occurred_at=now,
        )
        for data in datas
    )
    deliveries = Delivery.objects.bulk_create(
        Delivery(tenant=tenant, endpoint=endpoint, event=event, next_attempt_at=now)
        for event in events
        for endpoint in endpoints
    )
    _send_after_commit(tenant, [delivery.pk for delivery in deliveries])
    return events


def _send_after_commit(tenant, delivery_ids):
    """A task per delivery once the transaction commits. A delivery whose task could not be
    sent (the broker is down) is still due: the minute's sweep (`send_due_task`) sends it."""
    for delivery_id in delivery_ids:
        deliver_task.delay_on_commit(tenant_id=tenant.pk, delivery_id=delivery_id)


# Delivering


@transaction.atomic
def delivery_replay(*, delivery, by, now=None):
    """Sends a delivery again now, whatever became of it, with a fresh set of attempts;
    the log keeps the earlier ones."""
    if not delivery.endpoint.is_active:
        raise ValidationError(_("Enable the endpoint before sending to it again."), code="state")
    now = now or timezone.now()
    delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
    before = delivery.status
    delivery.status = Delivery.Status.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = now
    delivery.save(update_fields=["status", "attempts", "next_attempt_at", "updated_at"])
    audit_record(
        tenant=delivery.tenant,
        actor=by,
        action="webhooks.delivery_replayed",
        obj=delivery,
        before={"status": before},
        after={"event": delivery.event.public_id},
    )
    _send_after_commit(delivery.tenant, [delivery.pk])
    return delivery
