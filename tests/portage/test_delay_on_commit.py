"""TenantTask.delay_on_commit: a task leaves once the caller's transaction commits, and a
broker that refuses never fails the caller. Against real brokers: the test Redis, on a queue
no worker reads, and an address where nothing listens."""

import json
import logging
import socket
from datetime import timedelta

import pytest
import redis
from celery import Celery
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from portage.tasks import TenantTask

pytestmark = pytest.mark.django_db(transaction=True)

QUEUE = "tests-delay-on-commit"
PROBE = "tests.delay_on_commit.probe"


class RolledBack(Exception):
    pass


def probe_task(broker_url):
    """A tenant task of an app of its own, with the project's settings but this broker, so
    its messages go to a queue of this test's only."""
    app = Celery("delay-on-commit", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.broker_url = broker_url
    app.conf.task_default_queue = QUEUE

    @app.task(base=TenantTask, name=PROBE, shared=False)
    def probe(*, tenant, step):
        return step

    return probe


@pytest.fixture
def queue():
    """The tasks waiting on the test's queue, in the test Redis: [(name, id), ...]."""
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete(QUEUE)

    def waiting():
        headers = [json.loads(raw)["headers"] for raw in broker.lrange(QUEUE, 0, -1)]
        return [(header["task"], header["id"]) for header in headers]

    yield waiting
    broker.delete(QUEUE)


@pytest.fixture
def probe():
    return probe_task(settings.CELERY_BROKER_URL)


def closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def a_session():
    return Session.objects.create(
        session_key="delay-on-commit", session_data="", expire_date=timezone.now() + timedelta(1)
    )


def test_nothing_is_sent_before_the_commit_and_the_task_once_after(probe, queue):
    with transaction.atomic():
        probe.delay_on_commit(tenant_id=1, step=1)
        assert queue() == []
    assert [name for name, _ in queue()] == [PROBE]


def test_nothing_is_sent_when_the_transaction_rolls_back(probe, queue):
    with pytest.raises(RolledBack), transaction.atomic():
        probe.delay_on_commit(tenant_id=1, step=1)
        raise RolledBack
    assert queue() == []


def test_apply_async_on_commit_sends_with_its_options_after_the_commit(probe, queue):
    with transaction.atomic():
        probe.apply_async_on_commit(kwargs={"tenant_id": 1, "step": 1}, task_id="chunk-1")
        assert queue() == []
    assert queue() == [(PROBE, "chunk-1")]


def test_a_broker_that_refuses_is_logged_and_the_caller_keeps_its_write(caplog):
    refused = probe_task(f"redis://127.0.0.1:{closed_port()}/0")
    with caplog.at_level(logging.WARNING, logger="portage.tasks"), transaction.atomic():
        a_session()
        refused.delay_on_commit(tenant_id=1, step=1)
    assert Session.objects.filter(session_key="delay-on-commit").exists()
    assert [record.getMessage() for record in caplog.records] == [
        f"Could not enqueue {PROBE}(){{'tenant_id': 1, 'step': 1}}"
    ]
    assert caplog.records[0].exc_info is not None
