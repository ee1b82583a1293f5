"""The day's emails leave through one connection to the mail server and are marked sent
together; an address the server refuses fails alone; a company's sender never takes
another company's messages."""

import smtplib
from datetime import timedelta

import pytest
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from dunning.models import Action, Message
from dunning.services.mail import deliver_due, deliver_many
from portage.tenancy import PLATFORM_DB
from tests.dunning.test_ladder import DUE, ISSUED, run_day  # noqa: F401 (fixture)
from tests.factories import make_client, make_consultant, make_invoice

pytestmark = pytest.mark.django_db
# The sweep reads the outbox of every company through the platform's connection, which sees
# only what was committed.
sweeping = pytest.mark.django_db(transaction=True, databases=["default", PLATFORM_DB])

DAY = DUE + timedelta(days=1)  # the consultant's reminder and the first reminder


class RecordingBackend(BaseEmailBackend):
    """A mail server that records each connection opened and the emails it accepts, and
    refuses the addresses in `refused`."""

    opened = []
    accepted = []
    refused = set()

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.is_open = False

    def open(self):
        if self.is_open:
            return False
        self.is_open = True
        RecordingBackend.opened.append(self)
        return True

    def close(self):
        self.is_open = False

    def send_messages(self, email_messages):
        assert self.is_open, "every email goes through the batch's open connection"
        for email in email_messages:
            if set(email.to) & self.refused:
                raise smtplib.SMTPRecipientsRefused({address: (550, b"no") for address in email.to})
            self.accepted.append((self, email))
        return len(email_messages)


@pytest.fixture
def server(settings):
    settings.EMAIL_BACKEND = "tests.dunning.test_outbox_batches.RecordingBackend"
    RecordingBackend.opened, RecordingBackend.accepted = [], []
    RecordingBackend.refused = set()
    return RecordingBackend


def three_clients(tenant):
    consultant = make_consultant(tenant)
    clients = [
        make_client(tenant, billing_emails=[f"compta{number}@client.example"])
        for number in range(3)
    ]
    for client in clients:
        make_invoice(tenant, client=client, consultant=consultant, issued_on=ISSUED)
    return clients


def test_the_day_s_emails_leave_through_one_connection_and_are_all_marked_sent(
    tenant_a,
    server,
    run_day,  # noqa: F811
    in_tenant,
):
    three_clients(tenant_a)
    run_day(tenant_a, DAY)
    # Per client: the first reminder and the consultant's reminders of J-3 and J+1.
    assert len(server.accepted) == 9
    assert len(server.opened) == 1
    assert {connection for connection, _email in server.accepted} == set(server.opened)
    assert len({email.extra_headers["Message-ID"] for _c, email in server.accepted}) == 9
    with in_tenant(tenant_a):
        assert sorted(Message.objects.values_list("status", "attempts")) == [("sent", 1)] * 9
        assert not Message.objects.filter(sent_at__isnull=True).exists()
        assert set(Action.objects.values_list("status", flat=True)) == {"done"}


@sweeping
def test_an_address_the_server_refuses_fails_alone_and_is_retried(
    tenant_a,
    server,
    run_day,  # noqa: F811
    in_tenant,
):
    clients = three_clients(tenant_a)
    server.refused = {"compta1@client.example"}
    run_day(tenant_a, DAY)
    assert len(server.accepted) == 8
    with in_tenant(tenant_a):
        refused = Message.objects.get(client=clients[1], to=["compta1@client.example"])
        assert (refused.status, refused.attempts) == ("queued", 1)
        assert "SMTPRecipientsRefused" in refused.last_error
        assert list(Action.objects.filter(message=refused).values_list("status", flat=True)) == [
            "pending"
        ]
        others = Message.objects.exclude(pk=refused.pk)
        assert sorted(others.values_list("status", "attempts")) == [("sent", 1)] * 8
        assert set(Action.objects.exclude(message=refused).values_list("status", flat=True)) == {
            "done"
        }
    # Accepted the next time, it leaves once and the others are not sent again.
    server.refused = set()
    deliver_due(now=refused.next_attempt_at + timedelta(seconds=1))
    assert len(server.accepted) == 9
    with in_tenant(tenant_a):
        refused.refresh_from_db()
        assert (refused.status, refused.attempts) == ("sent", 2)


@sweeping
def test_a_company_s_sender_never_takes_another_company_s_messages(
    tenant_a, tenant_b, server, in_tenant, monkeypatch
):
    from portage.batch import run_job_for_tenant

    three_clients(tenant_a)
    three_clients(tenant_b)
    # The day's messages composed and committed, not sent yet.
    monkeypatch.setattr("dunning.jobs.send_after_commit", lambda tenant, message_ids: None)
    for tenant in (tenant_a, tenant_b):
        run_job_for_tenant("dunning", tenant=tenant, today=DAY)
    with in_tenant(tenant_b):
        b_messages = list(Message.objects.values_list("pk", flat=True))
    assert len(b_messages) == 9
    later = timezone.now() + timedelta(minutes=1)
    # Company A's sender is given B's messages: row-level security hides them.
    assert deliver_many(tenant_a.pk, b_messages, now=later) == {}
    assert server.accepted == []
    with in_tenant(tenant_b):
        assert set(Message.objects.values_list("status", flat=True)) == {"queued"}
    # The sweep sends each company's through its own batch, under its own name.
    assert deliver_due(now=later) == {"sent": 18, "failed": 0, "retry": 0}
    assert len(server.opened) == 2
    by_connection = {}
    for connection, email in server.accepted:
        by_connection.setdefault(connection, set()).add(email.from_email)
    assert sorted(len(senders) for senders in by_connection.values()) == [1, 1]
    with in_tenant(tenant_a):
        assert Message.objects.filter(status="sent").count() == 9
    with in_tenant(tenant_b):
        assert Message.objects.filter(status="sent").count() == 9
