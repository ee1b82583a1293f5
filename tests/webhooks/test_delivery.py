"""Events reach the company's endpoints signed, in sequence, once per endpoint; failures are
retried with backoff, then given up, and a dead endpoint is disabled with its admins told."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from invoices.services.payments import payment_record
from portage.tenancy import PLATFORM_DB, tenant_context
from tests.factories import make_client, make_invoice
from webhooks import dispatch, services, tasks
from webhooks.models import Attempt, Delivery, Endpoint, Event
from webhooks.signing import signature_header, verify

pytestmark = pytest.mark.django_db

ISSUED, PAID, PAYMENT = "invoice.issued", "invoice.paid", "payment.created"


def pay(tenant, invoice, amount=None):
    with tenant_context(tenant):
        return payment_record(
            client=invoice.client,
            amount=amount or invoice.total_ttc,
            received_on=date(2026, 4, 1),
            by=None,
            allocations=[(invoice, amount or invoice.total_ttc)],
        )


def deliveries(tenant):
    with tenant_context(tenant):
        return list(Delivery.objects.select_related("event", "endpoint").order_by("id"))


def deliver(tenant, delivery, now=None):
    return dispatch.deliver(tenant=tenant, delivery_id=delivery.pk, now=now)


def refreshed(tenant, obj):
    with tenant_context(tenant):
        obj.refresh_from_db()
    return obj


def test_a_receiver_gets_the_invoice_issued_then_paid_with_valid_signatures(
    tenant_a, admin_a, receiver, subscribe, tasks_run_at_once
):
    subscribe(tenant_a, receiver, [ISSUED, PAID, PAYMENT], by=admin_a.user)
    with tasks_run_at_once():
        invoice = make_invoice(tenant_a, issued_on=date(2026, 3, 2))
    with tasks_run_at_once():
        pay(tenant_a, invoice)
    assert receiver.types == [ISSUED, PAID, PAYMENT]
    assert all(request.signed for request in receiver.requests)
    issued, paid, payment = receiver.events
    assert issued["sequence"] < paid["sequence"] < payment["sequence"]
    assert (issued["data"]["id"], issued["data"]["number"]) == (invoice.pk, invoice.number)
    assert (paid["data"]["status"], paid["data"]["balance"]) == ("paid", "0.00")
    assert payment["data"]["allocations"] == [
        {"invoice": invoice.pk, "amount": str(invoice.total_ttc), "is_active": True}
    ]
    headers = receiver.requests[0].headers
    assert headers["Portage-Event"] == issued["id"] and issued["id"].startswith("evt_")
    assert headers["Content-Type"] == "application/json"
    assert [d.status for d in deliveries(tenant_a)] == ["succeeded"] * 3


def test_a_partial_payment_is_no_invoice_paid(tenant_a, receiver, subscribe, tasks_run_at_once):
    subscribe(tenant_a, receiver, [PAID, PAYMENT])
    invoice = make_invoice(tenant_a, issued_on=date(2026, 3, 2))
    with tasks_run_at_once():
        pay(tenant_a, invoice, amount=invoice.total_ttc / 2)
    assert receiver.types == [PAYMENT]


def test_a_tampered_body_or_an_old_signature_fails_verification():
    body = b'{"type":"invoice.paid","data":{"balance":"0.00"}}'
    now = 1_780_000_000
    header = signature_header("whsec_x", body, timestamp=now)
    assert verify("whsec_x", body, header, now=now)
    assert not verify("whsec_x", body.replace(b"0.00", b"9.00"), header, now=now)
    assert not verify("whsec_other", body, header, now=now)
    assert not verify("whsec_x", body, header, now=now + 600)
    assert not verify("whsec_x", body, "t=abc,v1=00", now=now)


def test_a_failing_receiver_is_retried_with_backoff_then_given_up_and_disabled(
    tenant_a, admin_a, receiver, subscribe, django_capture_on_commit_callbacks
):
    receiver.status = 500
    endpoint = subscribe(tenant_a, receiver, [ISSUED])
    make_invoice(tenant_a, issued_on=date(2026, 3, 2))
    (delivery,) = deliveries(tenant_a)
    now = timezone.now()
    waits = []
    for _attempt in range(dispatch.MAX_ATTEMPTS - 1):
        assert deliver(tenant_a, delivery, now=now) == "pending"
        delivery = refreshed(tenant_a, delivery)
        waits.append(delivery.next_attempt_at - now)
        # Not due a second earlier: nothing is sent.
        assert (
            deliver(tenant_a, delivery, now=delivery.next_attempt_at - timedelta(seconds=1)) is None
        )
        now = delivery.next_attempt_at
    assert waits == dispatch.RETRY_DELAYS
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(tenant_a, delivery, now=now) == "dead"
    delivery = refreshed(tenant_a, delivery)
    endpoint = refreshed(tenant_a, endpoint)
    assert (delivery.attempts, delivery.last_status_code) == (8, 500)
    assert delivery.last_response_excerpt == "receiver is down"
    assert len(receiver.requests) == 8
    assert not endpoint.is_active and endpoint.disabled_reason
    assert endpoint.consecutive_failures == 8
    (alert,) = mail.outbox
    assert alert.to == [admin_a.user.email] and endpoint.url in alert.body
    with tenant_context(tenant_a):
        log = list(Attempt.objects.filter(delivery=delivery).values_list("status_code", flat=True))
    assert log == [500] * 8


def test_an_endpoint_that_accepted_another_event_within_a_day_is_not_disabled(
    tenant_a, receiver, subscribe
):
    endpoint = subscribe(tenant_a, receiver, [ISSUED])
    make_invoice(tenant_a, issued_on=date(2026, 3, 2))
    (failing,) = deliveries(tenant_a)
    receiver.status = 500
    now = timezone.now()
    for _attempt in range(dispatch.MAX_ATTEMPTS - 1):
        deliver(tenant_a, failing, now=now)
        now = refreshed(tenant_a, failing).next_attempt_at
        if _attempt == dispatch.MAX_ATTEMPTS - 2:
            receiver.status = 200
            make_invoice(tenant_a, issued_on=date(2026, 3, 3))
            deliver(tenant_a, deliveries(tenant_a)[-1], now=now)
            receiver.status = 500
    assert deliver(tenant_a, failing, now=now) == "dead"
    assert refreshed(tenant_a, endpoint).is_active
    assert mail.outbox == []


def test_a_replay_sends_the_same_event_again(tenant_a, admin_a, receiver, subscribe):
    subscribe(tenant_a, receiver, [ISSUED])
    make_invoice(tenant_a, issued_on=date(2026, 3, 2))
    (delivery,) = deliveries(tenant_a)
    assert deliver(tenant_a, delivery) == "succeeded"
    with tenant_context(tenant_a):
        services.delivery_replay(delivery=delivery, by=admin_a.user)
    assert deliver(tenant_a, delivery) == "succeeded"
    first, second = receiver.requests
    assert first.body == second.body and second.signed
    assert first.headers["Portage-Event"] == second.headers["Portage-Event"]
    with tenant_context(tenant_a):
        assert Attempt.objects.filter(delivery=delivery).count() == 2


def test_a_replay_to_a_disabled_endpoint_is_refused(tenant_a, admin_a, receiver, subscribe):
    endpoint = subscribe(tenant_a, receiver, [ISSUED])
    make_invoice(tenant_a, issued_on=date(2026, 3, 2))
    (delivery,) = deliveries(tenant_a)
    with tenant_context(tenant_a):
        dispatch.endpoint_disable(endpoint=endpoint, by=admin_a.user, reason="Maintenance")
        assert deliver(tenant_a, delivery) is None
        with pytest.raises(ValidationError):
            services.delivery_replay(delivery=deliveries(tenant_a)[0], by=admin_a.user)
        services.endpoint_enable(endpoint=refreshed(tenant_a, endpoint), by=admin_a.user)
    assert deliver(tenant_a, delivery) == "succeeded"


def test_one_company_s_endpoint_never_gets_the_other_s_events(
    tenant_a, tenant_b, receiver, subscribe, tasks_run_at_once
):
    subscribe(tenant_a, receiver, [ISSUED])
    with tasks_run_at_once():
        make_invoice(tenant_b, issued_on=date(2026, 3, 2))
    assert receiver.requests == []
    with tenant_context(tenant_b):
        assert (Endpoint.objects.count(), Event.objects.count()) == (0, 0)
    with tenant_context(tenant_a):
        assert (Endpoint.objects.count(), Event.objects.count()) == (1, 0)


def test_an_event_nobody_subscribed_to_is_not_sent(tenant_a, receiver, subscribe):
    subscribe(tenant_a, receiver, [PAID])
    make_invoice(tenant_a, issued_on=date(2026, 3, 2))
    assert deliveries(tenant_a) == []


def test_a_rolled_back_change_sends_nothing(
    tenant_a, receiver, subscribe, django_capture_on_commit_callbacks
):
    subscribe(tenant_a, receiver, [ISSUED])
    client = make_client(tenant_a)
    with django_capture_on_commit_callbacks() as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            make_invoice(tenant_a, client=client, issued_on=date(2026, 3, 2))
            raise RuntimeError("the request failed after issuing")
    assert callbacks == []
    assert deliveries(tenant_a) == []


def test_each_endpoint_gets_its_own_delivery_signed_with_its_own_secret(
    tenant_a, receiver, subscribe
):
    first = subscribe(tenant_a, receiver, [ISSUED])
    second = subscribe(tenant_a, receiver, [ISSUED])
    make_invoice(tenant_a, issued_on=date(2026, 3, 2))
    for delivery in deliveries(tenant_a):
        deliver(tenant_a, delivery)
    secrets = {request.headers["Portage-Delivery"]: request for request in receiver.requests}
    assert len(secrets) == 2 and first.secret != second.secret
    assert [request.signed for request in receiver.requests] == [False, True]


def test_ping_reaches_only_that_endpoint(tenant_a, admin_a, receiver, subscribe):
    endpoint = subscribe(tenant_a, receiver, [PAID])
    with tenant_context(tenant_a):
        delivery = services.endpoint_ping(endpoint=endpoint, by=admin_a.user)
    assert deliver(tenant_a, delivery) == "succeeded"
    assert receiver.types == ["ping"] and receiver.requests[0].signed


def test_events_and_unknown_event_names_are_checked(tenant_a):
    with tenant_context(tenant_a), pytest.raises(ValidationError) as error:
        services.endpoint_create(
            tenant=tenant_a, url="ftp://example.com", events=["invoice.lost"], by=None
        )
    assert set(error.value.message_dict) == {"url", "events"}


@pytest.mark.parametrize(
    "url",
    [
        "http://93.184.216.34/hooks",
        "https://127.0.0.1/hooks",
        "https://10.1.2.3/hooks",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hooks",
        "https://user:pw@93.184.216.34/",
    ],
)
def test_private_addresses_and_plain_http_are_refused_in_production(settings, url):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    with pytest.raises(ValidationError):
        dispatch.check_url(url)


def test_a_public_https_address_is_accepted_in_production(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    dispatch.check_url("https://93.184.216.34/hooks")


@pytest.mark.django_db(transaction=True, databases=["default", PLATFORM_DB])
def test_the_sweep_sends_what_no_task_sent(tenant_a, tenant_b, receiver, subscribe):
    """The task enqueued after the commit was lost (Redis restarted): the minute's sweep
    finds the delivery due and sends it; a disabled endpoint's deliveries wait."""
    subscribe(tenant_a, receiver, [ISSUED])
    paused = subscribe(tenant_b, receiver, [ISSUED])
    receiver.secret = ""
    make_invoice(tenant_a, issued_on=date(2026, 3, 2))
    make_invoice(tenant_b, issued_on=date(2026, 3, 2))
    with tenant_context(tenant_b):
        dispatch.endpoint_disable(endpoint=paused, by=None, reason="Maintenance")
    outcome = dispatch.deliver_due(now=timezone.now() + timedelta(seconds=1))
    assert outcome == {"succeeded": 1}
    assert [d.status for d in deliveries(tenant_a)] == ["succeeded"]
    assert [d.status for d in deliveries(tenant_b)] == ["pending"]
    assert dispatch.deliver_due(now=timezone.now() + timedelta(seconds=1)) == {}


@pytest.mark.django_db(transaction=True, databases=["default", PLATFORM_DB])
def test_the_beat_s_sweep_goes_through_the_delivery_task(
    tenant_a, receiver, subscribe, monkeypatch
):
    subscribe(tenant_a, receiver, [ISSUED])
    # Committed for real: its task went to the broker, where no worker runs here.
    make_invoice(tenant_a, issued_on=date(2026, 3, 2))
    monkeypatch.setattr(tasks.deliver_task, "delay", lambda **kwargs: tasks.deliver_task(**kwargs))
    assert tasks.send_due_task() == {"enqueued": 1}
    assert receiver.types == [ISSUED] and receiver.requests[0].signed
    assert tasks.send_due_task() == {"enqueued": 0}
