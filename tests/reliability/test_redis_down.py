"""Redis stopped during the day, against a real server (gunicorn) and worker: pages, sign-in
and API reads keep working; an invoice issued and a payment recorded answer as usual, their
follow-up work (the PDF, the webhooks) kept in the database; no request hangs or fails.
Redis back, the same server enqueues again without a restart, and the sweep delivers every
webhook the outage held back: nothing lost."""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from datetime import date

import pytest
import requests
from django.conf import settings
from django.test import Client

from invoices.models import Invoice
from portage.api.keys import api_key_create
from portage.permissions import Role
from portage.tenancy import PLATFORM_DB, tenant_context
from tests.conftest import database_url
from tests.factories import PASSWORD, make_invoice, make_member
from tests.webhooks.receiver import Receiver
from webhooks import dispatch
from webhooks import services as webhooks
from webhooks.models import Delivery

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server (prepare)"),
    pytest.mark.django_db(transaction=True, databases=["default", PLATFORM_DB]),
]

QUICK = 5  # seconds: no request may take longer, Redis up or down


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A Redis of this test's own, to stop and start again (never the shared one)."""

    def __init__(self):
        self.port = free_port()
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        wait_for(lambda: _answers(self.port), "Redis did not start")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)

    def url(self, db):
        return f"redis://127.0.0.1:{self.port}/{db}"


def _answers(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def wait_for(condition, failure, timeout=60):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(failure)
        time.sleep(0.1)


@pytest.fixture
def redis_server():
    server = RedisServer()
    server.start()
    yield server
    if server.process.poll() is None:
        server.stop()


@pytest.fixture
def app_env(redis_server):
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portage.settings.test",
        "DATABASE_URL": database_url("default"),
        "DATABASE_PLATFORM_URL": database_url(PLATFORM_DB),
        "TEST_REDIS_URL": redis_server.url(0),
        "TEST_CACHE_URL": redis_server.url(1),
    }


@pytest.fixture
def web(app_env, tmp_path):
    """gunicorn serving the application on the test database and this test's Redis."""
    port = free_port()
    log = tmp_path / "web.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "gunicorn", "portage.wsgi:application"),
                *("--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "4"),
                *("--access-logfile", "-", "--error-logfile", "-"),
            ],
            env=app_env,
            cwd=settings.BASE_DIR,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    wait_for(lambda: process.poll() is not None or _answers(port), "gunicorn did not start")
    yield base, log
    process.terminate()
    process.wait(timeout=30)


def timed(method, url, **kwargs):
    started = time.monotonic()
    response = method(url, timeout=30, allow_redirects=False, **kwargs)
    assert time.monotonic() - started < QUICK, f"{url} took too long with Redis down"
    return response


def test_redis_stopped_during_the_day_loses_nothing(tenant_a, redis_server, app_env, web):
    base, log = web
    accountant = make_member(tenant_a, Role.ACCOUNTANT).user
    admin = make_member(tenant_a, Role.ADMIN).user
    with tenant_context(tenant_a):
        _key, secret = api_key_create(tenant=tenant_a, name="ERP", scope="write", by=admin)
    draft = make_invoice(tenant_a)
    due = make_invoice(tenant_a, issued_on=date(2026, 3, 2))
    receiver = Receiver().start()
    with tenant_context(tenant_a):
        receiver.secret = webhooks.endpoint_create(
            tenant=tenant_a,
            url=receiver.url,
            events=["invoice.issued", "invoice.paid", "payment.created"],
            by=admin,
        ).secret
    browser = requests.Session()
    signed_in = Client()
    signed_in.force_login(accountant)
    browser.cookies.set("sessionid", signed_in.cookies["sessionid"].value)
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {secret}"

    redis_server.stop()

    health = timed(requests.get, f"{base}/healthz")
    assert health.status_code == 503 and "error" in health.json()["checks"]["redis"]
    for page in ["/", "/factures/", "/clients/", f"/factures/{due.pk}/"]:
        assert timed(browser.get, base + page).status_code == 200, page
    assert timed(api.get, f"{base}/api/v1/invoices/").status_code == 200
    # Signing in (rate limits live in the cache) still works.
    visitor = requests.Session()
    form = timed(visitor.get, f"{base}/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    signin = timed(
        visitor.post,
        f"{base}/accounts/login/",
        data={"csrfmiddlewaretoken": token, "login": accountant.email, "password": PASSWORD},
        headers={"Referer": f"{base}/accounts/login/"},
    )
    assert signin.status_code == 302 and timed(visitor.get, base + "/").status_code == 200

    issued = timed(api.post, f"{base}/api/v1/invoices/{draft.pk}/issue/")
    assert issued.status_code == 200, issued.text
    paid = timed(
        api.post,
        f"{base}/api/v1/payments/",
        json={
            "client": due.client_id,
            "amount": "7200.00",
            "received_on": "2026-04-01",
            "allocations": [{"invoice": due.pk, "amount": "7200.00"}],
        },
    )
    assert paid.status_code == 201, paid.text
    # The webhooks wait in the database for the sweep; no PDF was rendered.
    assert len(dispatch.due_deliveries()) == 3
    assert receiver.requests == []
    with tenant_context(tenant_a):
        assert not Invoice.objects.get(pk=draft.pk).pdf

    redis_server.start()
    worker = subprocess.Popen(
        [
            *(sys.executable, "-m", "celery", "-A", "portage", "worker"),
            *("--pool", "solo", "--loglevel", "warning", "--without-mingle"),
        ],
        env=app_env,
        cwd=settings.BASE_DIR,
    )
    try:
        # The server enqueues again, without a restart: another invoice, its PDF rendered.
        later = make_invoice(tenant_a, client=due.client)
        assert timed(api.post, f"{base}/api/v1/invoices/{later.pk}/issue/").status_code == 200

        def rendered():
            with tenant_context(tenant_a):
                return bool(Invoice.objects.get(pk=later.pk).pdf)

        wait_for(rendered, "the PDF of the invoice issued after the outage was not rendered")
        # The beat's minute sweep (called here) sends what the outage held back.
        subprocess.run(
            [sys.executable, "-m", "celery", "-A", "portage", "call", "webhooks.tasks.send_due"],
            env=app_env,
            cwd=settings.BASE_DIR,
            check=True,
            capture_output=True,
        )
        wait_for(lambda: len(receiver.requests) >= 4, "the held-back webhooks were not sent")
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        receiver.stop()
    assert sorted(receiver.types) == [
        "invoice.issued",
        "invoice.issued",
        "invoice.paid",
        "payment.created",
    ]
    assert all(request.signed for request in receiver.requests)
    with tenant_context(tenant_a):
        assert set(Delivery.objects.values_list("status", flat=True)) == {"succeeded"}
    # No request failed: every answer in the access log is below 500 (but /healthz's 503).
    answers = re.findall(r'"[A-Z]+ (\S+) HTTP/[\d.]+" (\d{3}) ', log.read_text())
    assert len(answers) >= 12
    assert [(path, code) for path, code in answers if int(code) >= 500] == [("/healthz", "503")]
