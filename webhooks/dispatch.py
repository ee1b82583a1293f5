"""Delivering a webhook: one signed attempt, its log, the retries' schedule, and the
endpoint disabled when its deliveries die; what the tasks run (`webhooks.tasks`). The
endpoints and the events are written by `webhooks.services`, which sends the tasks: it
imports the tasks, the tasks import this module, and this module imports neither.

Delivery contract (docs/webhooks.md says it to receivers):
- At least once. A receiver may get the same event twice (a worker that crashed between
  the endpoint's answer and our commit tries again): it deduplicates on the event's `id`.
- Ordering: deliveries are independent; a retried event may arrive after a later one.
  Each event carries `sequence`, which grows with every event of the company (with gaps),
  and `created`; receivers order by `sequence`.
- A 2xx answer is a success; anything else (a redirect too), a timeout or a refused
  connection is a failure, retried after 1 min, 5 min, 30 min, 2 h, 6 h, 12 h and 24 h:
  eight attempts over about 44 hours, then the delivery is given up ("dead").
- An endpoint is disabled, and the company's admins told by email, when one of its
  deliveries is given up while the endpoint has answered nothing but failures for at least
  24 hours: an endpoint that refuses one event but accepts others stays active.
"""

import ipaddress
import json
import socket
import time
from datetime import timedelta
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portage.mail import sender_of
from portage.models import Membership, Tenant
from portage.permissions import Role
from portage.services import audit_record
from portage.tenancy import all_tenants, tenant_context
from webhooks.models import Attempt, Delivery, Endpoint
from webhooks.signing import SIGNATURE_HEADER, signature_header

# Wait before the 2nd, 3rd, … attempt; after the last one fails the delivery is dead.
RETRY_DELAYS = [
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
    timedelta(hours=12),
    timedelta(hours=24),
]


MAX_ATTEMPTS = len(RETRY_DELAYS) + 1


# An endpoint failing for this long when a delivery dies is disabled.
DISABLE_AFTER = timedelta(hours=24)


# Connect, read: a receiver answers quickly and does its work afterwards.
TIMEOUT = (3.05, 10)


EXCERPT_CHARS = 1000


USER_AGENT = "Portage-Webhooks/1"


def allow_private():
    """Private, loopback and link-local addresses and plain http are refused unless allowed:
    a webhook must not become a way into the platform's own network (SSRF).
    `WEBHOOKS_ALLOW_PRIVATE` allows them (the test settings do: receivers run on 127.0.0.1);
    when it is not set, they are allowed with DEBUG only."""
    return bool(getattr(settings, "WEBHOOKS_ALLOW_PRIVATE", settings.DEBUG))


def check_url(url):
    """Refuses a URL the platform must not call: not http(s), plain http or a host that
    resolves to a non-public address (outside development)."""
    parsed = urlsplit(url or "")
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ValidationError({"url": _("Give the full address, starting with https://.")})
    if parsed.username or parsed.password:
        raise ValidationError({"url": _("Do not put a user name or password in the address.")})
    if allow_private():
        return
    if parsed.scheme != "https":
        raise ValidationError({"url": _("The address must start with https://.")})
    try:
        port = parsed.port or 443
        addresses = {info[4][0] for info in socket.getaddrinfo(parsed.hostname, port)}
    except (socket.gaierror, UnicodeError, ValueError):
        raise ValidationError(
            {"url": _("The host %(host)s cannot be found.") % {"host": parsed.hostname}}
        ) from None
    if not addresses or not all(ipaddress.ip_address(a.split("%")[0]).is_global for a in addresses):
        raise ValidationError(
            {"url": _("The address points to a private network; use a public address.")}
        )


@transaction.atomic
def endpoint_disable(*, endpoint, by, reason, now=None):
    """Stops sending to the endpoint; its pending deliveries wait until it is enabled."""
    if not endpoint.is_active:
        return endpoint
    endpoint.is_active = False
    endpoint.disabled_at = now or timezone.now()
    endpoint.disabled_reason = reason[:300]
    endpoint.save(update_fields=["is_active", "disabled_at", "disabled_reason", "updated_at"])
    audit_record(
        tenant=endpoint.tenant,
        actor=by,
        actor_label=None if by else _("Webhooks"),
        action="webhooks.endpoint_disabled",
        obj=endpoint,
        after={"reason": endpoint.disabled_reason},
    )
    return endpoint


def envelope(event):
    """What the receiver gets: the same for every endpoint and every attempt."""
    return {
        "id": event.public_id,
        "type": event.type,
        "sequence": event.pk,
        "created": event.occurred_at.isoformat(),
        "data": event.data,
    }


def body_of(event):
    return json.dumps(envelope(event), separators=(",", ":"), ensure_ascii=False).encode()


def deliver(*, tenant, delivery_id, now=None):
    """One attempt of a delivery whose time has come; returns its new status, or None when
    it was not for sending (delivered already, taken by another worker, not due, endpoint
    disabled). The row stays locked during the call, so two workers never send it at once."""
    now = now or timezone.now()
    with tenant_context(tenant):
        delivery = (
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint", "event")
            .filter(
                pk=delivery_id,
                status=Delivery.Status.PENDING,
                next_attempt_at__lte=now,
                endpoint__is_active=True,
            )
            .first()
        )
        if delivery is None:
            return None
        attempt = _post(delivery, now)
        _record(delivery, attempt, now)
        return delivery.status


def _post(delivery, now):
    endpoint = delivery.endpoint
    body = body_of(delivery.event)
    # The signature's time is the real time of sending, which receivers compare with theirs.
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Portage-Event": delivery.event.public_id,
        "Portage-Event-Type": delivery.event.type,
        "Portage-Delivery": delivery.public_id,
        SIGNATURE_HEADER: signature_header(endpoint.secret, body, timestamp=timestamp),
    }
    status_code, error, excerpt = None, "", ""
    started = time.monotonic()
    try:
        # Checked again at each attempt: the host's address may have changed.
        check_url(endpoint.url)
        with requests.post(
            endpoint.url,
            data=body,
            headers=headers,
            timeout=TIMEOUT,
            allow_redirects=False,
            stream=True,
        ) as response:
            status_code = response.status_code
            raw = response.raw.read(EXCERPT_CHARS * 4, decode_content=True) or b""
            excerpt = raw.decode("utf-8", "replace")[:EXCERPT_CHARS]
        if not 200 <= status_code < 300:
            error = f"HTTP {status_code}"
    except ValidationError as refusal:
        error = " ".join(refusal.messages)
    except requests.RequestException as failure:
        error = f"{type(failure).__name__}: {failure}"
    return Attempt(
        tenant_id=delivery.tenant_id,
        delivery=delivery,
        at=now,
        status_code=status_code,
        error=error[:500],
        duration_ms=int((time.monotonic() - started) * 1000),
        response_excerpt=excerpt,
    )


def _record(delivery, attempt, now):
    attempt.save()
    endpoint = Endpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.last_status_code = attempt.status_code
    delivery.last_error = attempt.error
    delivery.last_response_excerpt = attempt.response_excerpt
    if attempt.succeeded:
        delivery.status = Delivery.Status.SUCCEEDED
        delivery.next_attempt_at = None
        endpoint.consecutive_failures = 0
        endpoint.failing_since = None
    else:
        endpoint.consecutive_failures += 1
        endpoint.failing_since = endpoint.failing_since or now
        if delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = Delivery.Status.DEAD
            delivery.next_attempt_at = None
        else:
            delivery.next_attempt_at = now + RETRY_DELAYS[delivery.attempts - 1]
    delivery.save()
    endpoint.save(update_fields=["consecutive_failures", "failing_since", "updated_at"])
    if (
        delivery.status == Delivery.Status.DEAD
        and endpoint.is_active
        and endpoint.failing_since <= now - DISABLE_AFTER
    ):
        _disable_dead(endpoint, now)


def _disable_dead(endpoint, now):
    reason = _(
        "%(count)s failed attempts in a row since %(since)s; the last event was given up."
    ) % {
        "count": endpoint.consecutive_failures,
        "since": timezone.localtime(endpoint.failing_since).strftime("%d/%m/%Y %H:%M"),
    }
    endpoint_disable(endpoint=endpoint, by=None, reason=reason, now=now)
    admins = list(
        Membership.objects.filter(role=Role.ADMIN, is_active=True).values_list(
            "user__email", flat=True
        )
    )
    if not admins:
        return
    tenant = endpoint.tenant
    subject = _("[%(company)s] Webhook endpoint disabled") % {"company": tenant.legal_name}
    body = _(
        "Hello,\n\nThe webhook endpoint %(url)s stopped answering and has been disabled: "
        "%(reason)s\n\nEvents are no longer sent to it. Once the receiver works again, enable "
        "it on the webhooks page; the events still waiting will then be sent, and those given "
        "up can be sent again by hand.\n\n%(page)s\n"
    ) % {
        "url": endpoint.url,
        "reason": reason,
        "page": settings.SITE_URL + reverse("webhook_endpoint", args=[endpoint.pk]),
    }
    transaction.on_commit(
        lambda: send_mail(subject, body, sender_of(tenant), admins, fail_silently=True)
    )


def due_deliveries(*, now=None, limit=1000):
    """(tenant id, delivery id) of every delivery due, for every company: those whose task
    was lost, and the retries."""
    now = now or timezone.now()
    return list(
        all_tenants(Delivery)
        .filter(
            status=Delivery.Status.PENDING,
            next_attempt_at__lte=now,
            endpoint__is_active=True,
        )
        .order_by("next_attempt_at", "id")
        .values_list("tenant_id", "pk")[:limit]
    )


def deliver_due(*, now=None):
    """Sends every due delivery here, one after the other (tests; the beat fans out)."""
    outcome = {}
    tenants = {}
    for tenant_id, delivery_id in due_deliveries(now=now):
        tenant = tenants.setdefault(tenant_id, Tenant.objects.get(pk=tenant_id))
        status = deliver(tenant=tenant, delivery_id=delivery_id, now=now)
        outcome[status] = outcome.get(status, 0) + 1
    return outcome
