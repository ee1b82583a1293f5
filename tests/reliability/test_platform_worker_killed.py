"""A worker SIGKILLed between the plateforme agréée's answer and our commit, then new workers:
each invoice deposited once, each payment's 212 sent once, none lost, no status twice.

The platform is the local simulator (tests/einvoicing/simulator.py) on 127.0.0.1, run in
this process; the workers are real Celery processes reaching it over HTTP through the
company's HTTP connector. The doomed worker kills itself right after the platform answered
its second deposit (`tests/reliability/killer.py`): the platform keeps the flow, our
transaction never commits, the deposit is still "to send". The platform's webhook (200
Déposée) then arrives while the worker lies dead: it is recorded, and the deposit stays to
send. (It used to turn it "deposited" with no flow id, and the sweep then had nothing to
send: found by this test, fixed in `einvoicing.services.statuses`.)

How it holds:
- The deposit's PDF is rendered and committed before the deposit (`submission_prepare`),
  and the 212's file is built from committed rows only: whoever sends again sends the same
  bytes under the same tracking id (FX-<number>, ENC-<allocation>), and the platform answers
  with the flow it already has.
- Two ways send it again, and both run here, in the order production sees them:
  1. The five-minute sweep (`einvoicing.tasks.send_due`, beat) enqueues a task for each
     deposit "to send" for more than five minutes (its row's `updated_at`; a 212's
     `created_at`), and a read of the platform's statuses. The test moves those rows five
     minutes back rather than waiting.
  2. `send_submission_task` and `send_collection_report_task` are `acks_late` (and
     `reject_on_worker_lost`, for a prefork child), like the dunning chunks: the killed
     task's message stays unacknowledged in Redis and is handed out again once the
     broker's visibility timeout has passed (`CELERY_VISIBILITY_TIMEOUT`, an hour). The
     first new worker runs with that hour, so only the sweep sends; the last one with 2 s,
     which redelivers the killed message at its start: it finds the flow sent and sends
     nothing.
  The row is locked while it is sent and its state checked first, so two of them at once
  send once.
"""

import json
import signal
import time
from collections import Counter
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from email import policy
from email.parser import BytesParser

import pytest
from celery import current_app
from celery.signals import after_task_publish
from django.db.models import F

from einvoicing.models import (
    CollectionReport,
    LifecycleStatus,
    Outgoing,
    PlatformAccount,
    Submission,
)
from einvoicing.services.statuses import webhook_receive
from einvoicing.tasks import SWEEP_AFTER, read_statuses_task, send_due_task
from invoices.services.payments import payment_record
from portage.models import AuditEntry
from portage.tenancy import PLATFORM_DB, tenant_context
from tests.einvoicing.simulator import PlatformSimulator
from tests.factories import make_client, make_consultant, make_invoice
from tests.reliability.workers import start_worker

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True, databases=["default", PLATFORM_DB]),
]

ISSUED = date(2026, 10, 1)
AN_HOUR = "3600"  # the production visibility timeout: no redelivery while the test runs
DEADLINE = 120  # seconds a worker gets to do what the test waits for


@pytest.fixture
def platform():
    with PlatformSimulator() as simulator:
        yield simulator


@pytest.fixture
def account(tenant_a, platform):
    current_app.control.purge()  # nothing an earlier test left in the broker
    with tenant_context(tenant_a):
        return PlatformAccount.objects.create(
            tenant=tenant_a,
            platform_name="Simulateur",
            connector=PlatformAccount.Connector.HTTP,
            api_base_url=platform.base_url,
            api_key=platform.api_key,
            api_secret=platform.secret,
            in_scope_from=date(2026, 9, 1),
        )


@pytest.fixture
def published():
    """The tasks this process sends to the broker, in order: [(task name, task id)]."""
    sent = []

    def keep(sender=None, headers=None, **kwargs):
        sent.append((headers["task"], headers["id"]))

    after_task_publish.connect(keep, weak=False)
    yield sent
    after_task_publish.disconnect(keep)


def directory_client(tenant, platform):
    """A client the directory knows, at the address its invoices are issued to."""
    client = make_client(tenant)
    platform.add_directory_entry(client.siren, client.siren, platform="PA de l'acheteur")
    return client


def task_ids(published, name):
    return [task_id for task, task_id in published if task == f"einvoicing.tasks.{name}"]


@contextmanager
def running(process):
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


def until(condition, what):
    """Polls the database (or the platform) until `condition()` holds."""
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"still waiting for {what}")
        time.sleep(0.2)


def states(tenant, model):
    with tenant_context(tenant):
        return dict(model.objects.values_list("reference", "state"))


def five_minutes_on(tenant, model, field):
    """What the sweep sees five minutes later: the rows still to send, that much older."""
    with tenant_context(tenant):
        model.objects.filter(state="to_send").update(**{field: F(field) - SWEEP_AFTER})


def deposits(platform):
    """{tracking id: how many times a flow was posted under it}, the first time included."""
    counts = Counter()
    for request in list(platform.received):
        if request.method == "POST" and request.path.endswith("/flows"):
            counts[_flow_info(request)["trackingId"]] += 1
    return counts


def _flow_info(request):
    head = f"Content-Type: {request.headers['Content-Type']}\r\n\r\n".encode()
    message = BytesParser(policy=policy.default).parsebytes(head + request.body)
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") == "flowInfo":
            return json.loads(part.get_payload(decode=True))
    raise AssertionError("a deposit without its flowInfo")


def tracking_ids(flows):
    return [flow.info["trackingId"] for flow in flows]


def history(invoice):
    return list(
        LifecycleStatus.objects.filter(invoice=invoice).values_list("code", "sender", "amount")
    )


def test_a_worker_killed_after_the_platform_took_an_invoice_leaves_each_deposited_once(
    tenant_a, account, platform, published, tmp_path
):
    consultant = make_consultant(tenant_a)
    clients = [directory_client(tenant_a, platform) for _ in range(3)]
    doomed = start_worker(
        "doomed",
        tmp_path,
        CELERY_VISIBILITY_TIMEOUT=AN_HOUR,
        RELIABILITY_KILL_AFTER_PLATFORM="submit_invoice:2",
    )
    try:
        invoices = [
            make_invoice(tenant_a, client=client, consultant=consultant, issued_on=ISSUED)
            for client in clients
        ]
        assert doomed.wait(timeout=DEADLINE) == -signal.SIGKILL
    finally:
        doomed.kill()
    first, second, third = references = [f"FX-{invoice.number}" for invoice in invoices]
    killed_task = task_ids(published, "send_submission_task")[1]
    # The platform holds the second invoice; our side never recorded its answer.
    assert states(tenant_a, Submission) == {first: "sent", second: "to_send", third: "to_send"}
    assert tracking_ids(platform.flows("CustomerInvoice")) == [first, second]
    # The platform's webhooks (200 Déposée of both) arrive while the worker lies dead: the
    # second stays to send, to be sent again and its flow recorded.
    with tenant_context(tenant_a):
        for call in platform.webhook_calls:
            assert webhook_receive(tenant=tenant_a, headers=call.headers, body=call.body) == 1
    assert states(tenant_a, Submission) == {
        first: "deposited",
        second: "to_send",
        third: "to_send",
    }

    five_minutes_on(tenant_a, Submission, "updated_at")
    with running(start_worker("successor", tmp_path, CELERY_VISIBILITY_TIMEOUT=AN_HOUR)):
        # The third invoice's own task ran first; the sweep sends the second again and
        # reads the statuses.
        assert send_due_task.delay().get(timeout=DEADLINE) == {"enqueued": 2}
        until(
            lambda: set(states(tenant_a, Submission).values()) == {"deposited"},
            "every invoice deposited",
        )
    with running(start_worker("late", tmp_path)):
        # The killed task's own message, handed out again after the visibility timeout.
        assert current_app.AsyncResult(killed_task).get(timeout=DEADLINE) is None
        assert send_due_task.delay().get(timeout=DEADLINE) == {"enqueued": 1}  # the status read
        assert read_statuses_task.delay(tenant_id=tenant_a.pk).get(timeout=DEADLINE) == {"new": 0}

    assert sorted(tracking_ids(platform.flows("CustomerInvoice"))) == sorted(references)
    # Sent twice, deposited once: the second time, the platform answered with the first flow.
    assert deposits(platform) == {first: 1, second: 2, third: 1}
    with tenant_context(tenant_a):
        for invoice, reference in zip(invoices, references, strict=True):
            submission = Submission.objects.select_related("invoice").get(invoice=invoice)
            flow = platform.flow_of(reference)
            assert (submission.state, submission.flow_id) == ("deposited", flow.flow_id)
            with submission.invoice.pdf.open("rb") as pdf:
                assert flow.content == pdf.read()
            assert history(invoice) == [("200", "platform", None)]
        submitted = AuditEntry.objects.filter(action="einvoicing.submitted")
        assert sorted(submitted.values_list("object_id", flat=True)) == sorted(
            str(pk) for pk in Submission.objects.values_list("pk", flat=True)
        )


def test_a_worker_killed_after_the_platform_took_a_212_leaves_each_payment_reported_once(
    tenant_a, account, platform, published, tmp_path, admin_a
):
    client = directory_client(tenant_a, platform)
    consultant = make_consultant(tenant_a)
    invoices = [
        make_invoice(tenant_a, client=client, consultant=consultant, issued_on=ISSUED)
        for _ in range(3)
    ]
    parts = [Decimal("1000.00"), Decimal("2000.00"), Decimal("3000.00")]

    doomed = start_worker(
        "doomed",
        tmp_path,
        CELERY_VISIBILITY_TIMEOUT=AN_HOUR,
        RELIABILITY_KILL_AFTER_PLATFORM="send_status:2",
    )
    try:
        until(
            lambda: set(states(tenant_a, Submission).values()) == {"sent"},
            "every invoice sent",
        )
        with tenant_context(tenant_a):
            payment = payment_record(
                client=client,
                amount=sum(parts),
                received_on=ISSUED + timedelta(days=20),
                by=admin_a.user,
                allocations=list(zip(invoices, parts, strict=True)),
            )
        assert doomed.wait(timeout=DEADLINE) == -signal.SIGKILL
    finally:
        doomed.kill()
    with tenant_context(tenant_a):
        reports = list(CollectionReport.objects.filter(allocation__payment=payment).order_by("pk"))
        allocations = payment.allocations.order_by("pk")
        assert [r.reference for r in reports] == [f"ENC-{a.pk}" for a in allocations]
    first, second, third = [report.reference for report in reports]
    killed_task = task_ids(published, "send_collection_report_task")[1]
    assert states(tenant_a, CollectionReport) == {
        first: Outgoing.SENT,
        second: Outgoing.TO_SEND,
        third: Outgoing.TO_SEND,
    }
    assert tracking_ids(platform.flows("CustomerInvoiceLC")) == [first, second]

    five_minutes_on(tenant_a, CollectionReport, "created_at")
    with running(start_worker("successor", tmp_path, CELERY_VISIBILITY_TIMEOUT=AN_HOUR)):
        assert send_due_task.delay().get(timeout=DEADLINE) == {"enqueued": 2}
        until(
            lambda: (
                set(states(tenant_a, CollectionReport).values()) == {Outgoing.SENT}
                and set(states(tenant_a, Submission).values()) == {"deposited"}
            ),
            "every 212 sent and every invoice deposited",
        )
    with running(start_worker("late", tmp_path)):
        assert current_app.AsyncResult(killed_task).get(timeout=DEADLINE) is None
        assert send_due_task.delay().get(timeout=DEADLINE) == {"enqueued": 1}

    sent = {
        flow.info["trackingId"]: flow.document() for flow in platform.flows("CustomerInvoiceLC")
    }
    assert {reference: document["amount"] for reference, document in sent.items()} == {
        report.reference: str(report.amount) for report in reports
    }
    assert deposits(platform) == Counter(
        {**{f"FX-{invoice.number}": 1 for invoice in invoices}, first: 1, second: 2, third: 1}
    )
    with tenant_context(tenant_a):
        for report in reports:
            report.refresh_from_db()
            assert report.flow_id == platform.flow_of(report.reference).flow_id
        for invoice, part in zip(invoices, parts, strict=True):
            assert history(invoice) == [("200", "platform", None), ("212", "seller", part)]
