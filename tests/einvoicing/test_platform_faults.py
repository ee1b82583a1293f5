"""The e-invoicing services against the local platform simulator, which fails as real ones
do: each invoice deposited once, each status recorded once, each payment reported once,
nothing lost when our commit never happens after the platform answered."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import transaction

from dunning.models import Pause
from einvoicing.connectors.http import HttpConnector
from einvoicing.models import (
    CollectionReport,
    LifecycleStatus,
    Outgoing,
    PlatformAccount,
    Submission,
)
from einvoicing.services.statuses import statuses_read, webhook_receive
from einvoicing.services.transmit import (
    collection_report_send,
    directory_check,
    submission_prepare,
    submission_send,
)
from invoices.services.payments import payment_record
from tests.einvoicing.simulator import PlatformSimulator
from tests.factories import make_client, make_invoice

ISSUED = date(2026, 10, 1)


@pytest.fixture
def platform():
    with PlatformSimulator(slow_seconds=0.3) as simulator:
        yield simulator


@pytest.fixture
def account(tenant_a, in_tenant, platform):
    with in_tenant(tenant_a):
        return PlatformAccount.objects.create(
            tenant=tenant_a,
            platform_name="Simulateur",
            connector=PlatformAccount.Connector.HTTP,
            api_base_url=platform.base_url,
            api_key=platform.api_key,
            api_secret=platform.secret,
            in_scope_from=date(2026, 9, 1),
        )


def connector(platform, timeout=0.2):
    return HttpConnector(
        platform.base_url,
        platform.api_key,
        platform.secret,
        timeout=timeout,
        max_attempts=3,
        backoff=(0,),
        sleep=lambda seconds: None,
    )


def issued(tenant, platform):
    """An invoice to a client the directory knows, as the directory gives it."""
    client = make_client(tenant)
    platform.add_directory_entry(client.siren, client.siren, platform="PA de l'acheteur")
    return make_invoice(tenant, client=client, issued_on=ISSUED)


def test_the_directory_is_looked_up_before_the_first_deposit(
    tenant_a, account, in_tenant, platform
):
    invoice = issued(tenant_a, platform)
    with in_tenant(tenant_a):
        submission = Submission.objects.get(invoice=invoice)
        submission_send(submission.pk, connector=connector(platform))
        submission.refresh_from_db()
        invoice.client.refresh_from_db()
        assert invoice.client.einvoicing_platform == "PA de l'acheteur"
        assert invoice.client.directory_checked_on is not None
        assert submission.state == Submission.State.SENT
        assert [flow.info["trackingId"] for flow in platform.flows("CustomerInvoice")] == [
            submission.reference
        ]


@pytest.mark.parametrize("fault", ["500", "timeout", "drop_after_store", "429"])
def test_a_deposit_retried_after_a_fault_is_deposited_once(
    tenant_a, account, in_tenant, platform, fault
):
    invoice = issued(tenant_a, platform)
    platform.fail_next(1, fault)
    with in_tenant(tenant_a):
        submission = Submission.objects.get(invoice=invoice)
        submission_send(submission.pk, connector=connector(platform))
        platform.wait_until_idle()
        submission.refresh_from_db()
        assert submission.state == Submission.State.SENT
    assert len(platform.flows("CustomerInvoice")) == 1
    assert platform.flow_of(submission.reference).flow_id == submission.flow_id


def test_nothing_is_lost_when_our_commit_never_happens_after_the_platform_answered(
    tenant_a, account, in_tenant, platform
):
    invoice = issued(tenant_a, platform)
    with in_tenant(tenant_a):
        submission = Submission.objects.get(invoice=invoice)
        submission_prepare(submission.pk)  # as the task does, in a transaction of its own
        # The worker dies after the platform's answer, before its transaction commits.
        with pytest.raises(RuntimeError), transaction.atomic():
            submission_send(submission.pk, connector=connector(platform))
            raise RuntimeError("worker killed")
        submission.refresh_from_db()
        assert submission.state == Submission.State.TO_SEND
        # The task, delivered again, sends the same flow: the platform answers with the first.
        submission_send(submission.pk, connector=connector(platform))
        submission.refresh_from_db()
    assert len(platform.flows("CustomerInvoice")) == 1
    assert submission.state == Submission.State.SENT
    assert submission.flow_id == platform.flow_of(submission.reference).flow_id


def test_a_status_that_came_while_our_commit_never_happened_waits_for_the_deposit_sent_again(
    tenant_a, account, in_tenant, platform
):
    invoice = issued(tenant_a, platform)
    with in_tenant(tenant_a):
        submission = Submission.objects.get(invoice=invoice)
        submission_prepare(submission.pk)
        with pytest.raises(RuntimeError), transaction.atomic():
            submission_send(submission.pk, connector=connector(platform))
            raise RuntimeError("worker killed")
        # The platform's 200 Déposée comes by webhook before the deposit is sent again.
        [call] = platform.webhook_calls
        assert webhook_receive(tenant=tenant_a, headers=call.headers, body=call.body) == 1
        submission.refresh_from_db()
        assert (submission.state, submission.last_status) == (Submission.State.TO_SEND, "200")
        submission_send(submission.pk, connector=connector(platform))
        submission.refresh_from_db()
        codes = list(LifecycleStatus.objects.filter(invoice=invoice).values_list("code", flat=True))
    assert len(platform.flows("CustomerInvoice")) == 1
    assert submission.state == Submission.State.DEPOSITED
    assert submission.flow_id == platform.flow_of(submission.reference).flow_id
    assert codes == ["200"]


def test_a_refusal_is_kept_with_its_reason_and_not_retried(tenant_a, account, in_tenant, platform):
    invoice = issued(tenant_a, platform)
    with in_tenant(tenant_a):
        directory_check(client=invoice.client, connector=connector(platform))
        platform.fail_next(1, "refuse", reason="Fichier illisible")
        submission = Submission.objects.get(invoice=invoice)
        submission_send(submission.pk, connector=connector(platform))
        submission.refresh_from_db()
        assert submission.state == Submission.State.FAILED
        assert "Fichier illisible" in submission.last_error
    assert platform.flows("CustomerInvoice") == []


def test_statuses_by_poll_and_duplicate_webhooks_land_once_and_steer_the_ladder(
    tenant_a, account, in_tenant, platform
):
    invoice = issued(tenant_a, platform)
    platform.reject(lambda info, content: False)
    with in_tenant(tenant_a):
        submission = Submission.objects.get(invoice=invoice)
        submission_send(submission.pk, connector=connector(platform))
        submission.refresh_from_db()
        platform.emit_status(
            submission.flow_id,
            "210",
            sender="buyer",
            reason_code="CMD_ERR",
            reason_text="Bon de commande absent",
            duplicate=True,
        )
        for call in platform.webhook_calls:
            webhook_receive(tenant=tenant_a, headers=call.headers, body=call.body)
        assert statuses_read(tenant=tenant_a, connector=connector(platform)) == 0
        codes = list(LifecycleStatus.objects.filter(invoice=invoice).values_list("code", flat=True))
        assert codes == ["200", "210"]
        submission.refresh_from_db()
        assert submission.state == Submission.State.DEPOSITED
        pause = Pause.objects.get(case__invoice=invoice, ended_on__isnull=True)
        assert pause.kind == Pause.Kind.DISPUTE and "Bon de commande absent" in pause.reason


def test_a_rejection_by_the_platform_arrives_with_its_reason_code(
    tenant_a, account, in_tenant, platform
):
    invoice = issued(tenant_a, platform)
    platform.reject(lambda info, content: True, reason_code="REJ_SEMAN", reason_text="TVA")
    with in_tenant(tenant_a):
        submission = Submission.objects.get(invoice=invoice)
        submission_send(submission.pk, connector=connector(platform))
        statuses_read(tenant=tenant_a, connector=connector(platform))
        submission.refresh_from_db()
        assert submission.state == Submission.State.REJECTED
        rejection = LifecycleStatus.objects.get(invoice=invoice, code="213")
        assert rejection.reason_code == "REJ_SEMAN"


def test_each_collected_payment_is_reported_once_despite_lost_answers(
    tenant_a, account, in_tenant, platform, admin_a
):
    invoice = issued(tenant_a, platform)
    with in_tenant(tenant_a):
        submission_send(Submission.objects.get(invoice=invoice).pk, connector=connector(platform))
        payment_record(
            client=invoice.client,
            amount=Decimal("1500.00"),
            received_on=ISSUED + timedelta(days=20),
            by=admin_a.user,
            allocations=[(invoice, Decimal("1500.00"))],
        )
        report = CollectionReport.objects.get(invoice=invoice)
        platform.fail_next(1, "drop_after_store")
        collection_report_send(report.pk, connector=connector(platform))
        collection_report_send(report.pk, connector=connector(platform))
        platform.wait_until_idle()
        report.refresh_from_db()
        assert report.state == Outgoing.SENT
        statuses = LifecycleStatus.objects.filter(invoice=invoice, code="212")
        assert [(s.sender, s.amount) for s in statuses] == [("seller", Decimal("1500.00"))]
    sent = [flow.document() for flow in platform.flows("CustomerInvoiceLC")]
    assert len(sent) == 1


def test_the_task_renders_the_pdf_first_then_deposits_it_once(
    tenant_a, account, in_tenant, platform, monkeypatch
):
    from einvoicing.services import transmit
    from einvoicing.tasks import send_submission_task

    # The account's own connector, with the test's short time-outs and no waiting.
    monkeypatch.setattr(transmit, "connector_of", lambda account: connector(platform))
    invoice = issued(tenant_a, platform)
    with in_tenant(tenant_a):
        pk = Submission.objects.get(invoice=invoice).pk
    send_submission_task(tenant_id=tenant_a.pk, submission_pk=pk)
    send_submission_task(tenant_id=tenant_a.pk, submission_pk=pk)
    with in_tenant(tenant_a):
        submission = Submission.objects.select_related("invoice").get(pk=pk)
        assert submission.state == Submission.State.SENT
        assert submission.invoice.pdf
    [flow] = platform.flows("CustomerInvoice")
    with in_tenant(tenant_a), submission.invoice.pdf.open("rb") as pdf:
        assert flow.content == pdf.read()


def test_a_failed_deposit_the_platform_turns_out_to_have_is_sent_again_and_recorded_whole(
    tenant_a, account, in_tenant, platform
):
    invoice = issued(tenant_a, platform)
    with in_tenant(tenant_a):
        directory_check(client=invoice.client, connector=connector(platform, timeout=10))
        submission = Submission.objects.get(invoice=invoice)
        # Every answer is lost, though the platform kept the flow at the first attempt (a
        # long time-out: under load, a request timed out would shift the faults' order).
        platform.fail_next(3, "drop_after_store")
        submission_send(submission.pk, connector=connector(platform, timeout=10), final=True)
        platform.wait_until_idle()
        submission.refresh_from_db()
        assert submission.state == Submission.State.FAILED
        [call] = platform.webhook_calls  # its 200 Déposée
        webhook_receive(tenant=tenant_a, headers=call.headers, body=call.body)
        submission.refresh_from_db()
        # Back to send, so the sweep fetches the receipt rather than the page saying "failed".
        assert submission.state == Submission.State.TO_SEND
        submission_send(submission.pk, connector=connector(platform, timeout=10))
        submission.refresh_from_db()
    assert len(platform.flows("CustomerInvoice")) == 1
    assert submission.state == Submission.State.DEPOSITED
    assert submission.flow_id == platform.flow_of(submission.reference).flow_id
