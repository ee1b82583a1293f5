"""Persistent database connections (CONN_MAX_AGE > 0) are safe: two companies' requests and
tasks, interleaved on the same reused connections, never see each other's rows nor a tenant
left on the connection by the request or task before, errors included; every query made for
a tenant runs inside its transaction; an API call opens one connection, the application's.

The web side calls Django's WSGI handler from threads of this process, as a threaded server
does (each thread keeps its connection from one request to the next); every query they run
is checked against what PostgreSQL holds at that moment. The task side runs a real Celery
worker (the suite's `worker` fixture: one process, one connection) on the same database."""

import json
import threading
from collections import defaultdict

import pytest
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_started
from django.db import connections
from django.db.backends.signals import connection_created
from django.test import Client, RequestFactory
from psycopg.pq import TransactionStatus

from portage import tenancy
from portage.permissions import Role
from portage.tenancy import PLATFORM_DB
from tests.factories import make_client, make_member
from tests.helpers import key_for
from tests.portage import connection_jobs

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", PLATFORM_DB])

PERSISTENT = {"CONN_MAX_AGE": 60, "CONN_HEALTH_CHECKS": True}


@pytest.fixture
def persistent_connections():
    """Connections opened from now on stay open between requests, as in production."""
    saved = {}
    for alias in ("default", PLATFORM_DB):
        config = connections.settings[alias]
        saved[alias] = {name: config[name] for name in PERSISTENT}
        config.update(PERSISTENT)
    yield
    for alias, values in saved.items():
        connections.settings[alias].update(values)


# Statements that read no row: setting the tenant and opening or closing a savepoint.
SETTING_OR_SAVEPOINT = ("SELECT set_config", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO")


class Watch:
    """Installed on every connection this process opens: before each query, reads what
    PostgreSQL holds and compares it with the tenant (and user) the code runs as."""

    def __init__(self):
        self.lock = threading.Lock()
        self.problems = []
        self.queries = 0
        self.opened = defaultdict(list)  # thread -> aliases of the connections it opened
        self.pids = defaultdict(set)  # thread -> backend pids its queries ran on
        self.tenants_on_pid = defaultdict(set)

    def problem(self, text):
        with self.lock:
            self.problems.append(text)

    def connected(self, sender, connection, **kwargs):
        with self.lock:
            self.opened[threading.get_ident()].append(connection.alias)
        if connection.alias == "default" and self not in connection.execute_wrappers:
            connection.execute_wrappers.append(self)

    def request_started(self, **kwargs):
        """At a request's start, after Django decided to keep the connection: it is idle,
        in no transaction, and holds no tenant and no user."""
        connection = connections["default"]
        if connection.connection is None:
            return
        status = connection.connection.info.transaction_status
        if status != TransactionStatus.IDLE:
            self.problem(f"a request starts on a connection in state {status.name}")
            return
        row = connection.connection.execute(
            "SELECT current_setting('app.tenant_id', true), current_setting('app.user_id', true)"
        ).fetchone()
        if any(row):
            self.problem(f"a request starts on a connection holding {row}")

    def __call__(self, execute, sql, params, many, context):
        connection = context["connection"]
        raw = connection.connection
        tenant = tenancy.current_tenant()
        user_id = tenancy._current_user_id.get()
        if raw.info.transaction_status != TransactionStatus.INERROR and not sql.startswith(
            SETTING_OR_SAVEPOINT
        ):
            row = raw.execute(
                "SELECT current_setting('app.tenant_id', true),"
                " current_setting('app.user_id', true)"
            ).fetchone()
            held = (row[0] or "", row[1] or "")
            expected = (str(tenant.pk) if tenant else "", str(user_id) if user_id else "")
            if held != expected:
                self.problem(f"{sql[:80]!r} ran holding {held}, as {expected}")
            if (tenant or user_id) and not connection.in_atomic_block:
                self.problem(f"{sql[:80]!r} ran for a tenant outside a transaction")
        with self.lock:
            self.queries += 1
            self.pids[threading.get_ident()].add(raw.info.backend_pid)
            if tenant:
                self.tenants_on_pid[raw.info.backend_pid].add(tenant.pk)
        return execute(sql, params, many, context)


@pytest.fixture
def watch():
    watch = Watch()
    connection_created.connect(watch.connected)
    request_started.connect(watch.request_started)
    yield watch
    connection_created.disconnect(watch.connected)
    request_started.disconnect(watch.request_started)
    for connection in connections.all(initialized_only=True):
        if watch in connection.execute_wrappers:
            connection.execute_wrappers.remove(watch)


def call(handler, path, *, key=None, session=None):
    """One request through the WSGI handler, as a server's thread makes it; returns
    (status, body). Closing the response ends the request (Django's request_finished)."""
    headers = {}
    if key:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    if session:
        headers["HTTP_COOKIE"] = f"{settings.SESSION_COOKIE_NAME}={session}"
    environ = RequestFactory().get(path, **headers).environ
    status = []
    response = handler(environ, lambda line, _headers, *args: status.append(line))
    try:
        body = b"".join(response)
    finally:
        response.close()
    return int(status[0].split()[0]), body


def in_threads(jobs_per_thread):
    """Runs each list of jobs in its own thread, in order; each thread closes its
    connections when done. Returns every job's outcome."""
    outcomes = []
    lock = threading.Lock()
    start = threading.Barrier(len(jobs_per_thread), timeout=30)

    def run(jobs):
        try:
            start.wait()
            for job in jobs:
                outcome = job()
                with lock:
                    outcomes.append(outcome)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(jobs,)) for jobs in jobs_per_thread]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


@pytest.fixture
def two_companies(tenant_a, tenant_b):
    """Each company with a key, two clients and a signed-in accountant's session."""
    companies = {}
    for tenant in (tenant_a, tenant_b):
        _key, secret = key_for(tenant, "write")
        clients = {make_client(tenant).pk for _ in range(2)}
        browser = Client()
        browser.force_login(make_member(tenant, Role.ACCOUNTANT).user)
        session = browser.cookies[settings.SESSION_COOKIE_NAME].value
        companies[tenant.pk] = {"key": secret, "clients": clients, "session": session}
    return companies


def test_requests_of_two_companies_on_reused_connections_never_mix(
    two_companies, tenant_a, tenant_b, persistent_connections, watch
):
    handler = WSGIHandler()
    a, b = tenant_a.pk, tenant_b.pk

    def job(kind, tenant=None):
        company = two_companies.get(tenant, {})

        def run():
            if kind == "clients":
                status, body = call(handler, "/api/v1/clients/", key=company["key"])
            elif kind == "key":
                status, body = call(handler, "/api/probe/", key=company["key"])
            elif kind == "session":
                status, body = call(handler, "/api/probe/", session=company["session"])
            elif kind == "anonymous":
                status, body = call(handler, "/api/probe/")
            else:  # an exception raised in the view once the tenant is set
                status, body = call(handler, f"/api/fail/{kind}/", key=company["key"])
            return kind, tenant, status, json.loads(body)

        return run

    rounds = [
        job("clients", a),
        job("key", b),
        job("error", a),
        job("session", b),
        job("database", b),
        job("anonymous"),
        job("key", a),
        job("clients", b),
        job("database", a),
        job("session", a),
        job("error", b),
        job("anonymous"),
    ]
    # Three threads, each going through the rounds from another point, three times.
    jobs_per_thread = [(rounds[offset:] + rounds[:offset]) * 3 for offset in (0, 4, 8)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(settings, "ROOT_URLCONF", "tests.portage.connection_jobs")
        outcomes = in_threads(jobs_per_thread)

    assert len(outcomes) == 3 * 3 * len(rounds)
    for kind, tenant, status, body in outcomes:
        if kind in ("error", "database"):
            assert status == 500 and body["error"]["code"] == "server_error", (kind, body)
            continue
        assert status == 200, (kind, tenant, status, body)
        if kind == "clients":
            assert {item["id"] for item in body["results"]} == two_companies[tenant]["clients"]
            continue
        assert body["tenant"] == tenant
        if tenant is None:
            assert (body["tenant_setting"], body["user_setting"], body["raw"]) == ("", "", [])
            continue
        assert body["tenant_setting"] == str(tenant) and body["in_transaction"]
        assert body["raw"] == body["orm"] == [tenant]
        assert (body["user_setting"] != "") == (kind == "session")

    assert sorted(set(watch.problems)) == []
    assert watch.queries > 300
    # Reused: each thread ran all its requests on one connection, which served both.
    assert [len(pids) for pids in watch.pids.values()] == [1, 1, 1]
    assert all(watch.tenants_on_pid[pid] == {a, b} for pids in watch.pids.values() for pid in pids)


def test_an_api_call_opens_one_connection_the_application_s(
    two_companies, tenant_a, persistent_connections, watch
):
    handler = WSGIHandler()
    key = two_companies[tenant_a.pk]["key"]
    statuses = []

    def first_then_second():
        statuses.append(call(handler, "/api/v1/clients/", key=key)[0])
        first = list(watch.opened[threading.get_ident()])
        statuses.append(call(handler, "/api/v1/clients/", key=key)[0])
        return first, list(watch.opened[threading.get_ident()])

    ((first, after_second),) = in_threads([[first_then_second]])
    assert statuses == [200, 200]
    assert first == ["default"]
    assert after_second == ["default"]  # the second call reused it
    assert watch.problems == []


@pytest.mark.worker
def test_tasks_of_two_companies_on_the_worker_s_reused_connection_never_mix(
    two_companies, tenant_a, tenant_b, worker
):
    a, b = tenant_a.pk, tenant_b.pk
    plan = [(a, None), (b, "error"), (a, "database"), (b, None), (a, "error"), (b, "database")]
    sent = []
    for tenant, how in plan * 2:
        sent.append((tenant, how, connection_jobs.tenant_probe.delay(tenant_id=tenant, how=how)))
        sent.append((None, None, connection_jobs.connection_probe.delay()))

    pids = set()
    for tenant, how, result in sent:
        outcome = result.get(timeout=30, propagate=False)
        if how is not None:
            assert result.failed(), (tenant, how, outcome)
            continue
        assert result.successful(), outcome
        pids.add(outcome["pid"])
        if tenant is None:
            # What the task before left on the connection: nothing.
            assert outcome["status_before"] == "IDLE"
            assert (outcome["tenant_setting"], outcome["user_setting"]) == ("", "")
            assert outcome["raw"] == []
        else:
            assert outcome["tenant_setting"] == str(tenant) and outcome["in_transaction"]
            assert outcome["raw"] == outcome["orm"] == [tenant]
    assert len(pids) == 1  # every task ran on the same, reused connection
