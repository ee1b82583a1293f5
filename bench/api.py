"""Benchmark 3: latency and throughput of the API under gunicorn (2 workers), measured by a
load tool in a second process (`bench.load`) over 127.0.0.1, for a company with 50,000
invoices. The floor is `/healthz` on the same server in the same run (it asks PostgreSQL
and Redis). Query counts per request are taken in this process with the test client, for a
page of 10 and a page of 100 invoices: they must be the same."""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import timedelta

from bench.common import (
    QueryCount,
    analyze,
    fresh_database,
    header,
    load_average,
    percentile,
    row,
)

INVOICES = 50_000
# Calls timed in this process, per line (the payments take bodies of their own).
CPU_CALLS = 40


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(port):
    env = {**os.environ, "API_RATE": "1000000/min", "LOG_LEVEL": "WARNING"}
    server = subprocess.Popen(  # noqa: S603 (our own venv's gunicorn)
        [
            os.path.join(os.path.dirname(sys.executable), "gunicorn"),
            "portage.wsgi:application",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            health = f"http://127.0.0.1:{port}/healthz"
            with urllib.request.urlopen(health, timeout=2) as answer:
                if answer.status == 200:
                    return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    raise RuntimeError("gunicorn did not answer /healthz")


def load(spec):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as spec_file:
        json.dump(spec, spec_file)
    try:
        output = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "bench.load", spec_file.name],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        os.unlink(spec_file.name)
    return json.loads(output)


def world_for_api(today):
    from bench import world
    from invoices.models import Invoice
    from portage.api.keys import api_key_create
    from portage.models import ApiKey, User
    from portage.tenancy import tenant_context

    (tenant,) = world.build(
        tenants=1,
        invoices_per_tenant=INVOICES,
        today=today,
        clients_per_tenant=INVOICES // 40,
    )
    analyze()
    with tenant_context(tenant):
        admin = User.objects.get(email=f"admin@{tenant.slug}.example")
        _key, secret = api_key_create(
            tenant=tenant, name="bench", scope=ApiKey.Scope.WRITE, by=admin
        )
        open_invoices = list(
            Invoice.objects.filter(status=Invoice.Status.ISSUED, due_date__lt=today)
            .order_by("id")
            .values("id", "client_id")[:400]
        )
    payments = [
        {
            "client": invoice["client_id"],
            "amount": "1.00",
            "received_on": (today - timedelta(days=1)).isoformat(),
            "method": "transfer",
            "reference": f"BENCH {number}",
            "allocations": [{"invoice": invoice["id"], "amount": "1.00"}],
        }
        for number, invoice in enumerate(open_invoices)
    ]
    return tenant, secret, open_invoices[0]["id"], payments


def in_process(secret, detail_id, payments):
    """Queries and CPU milliseconds per request, in this process through the test client
    with the same key (no network, no gunicorn): CPU time moves little with the machine's
    load, where latencies move a lot. Returns {label: (queries, CPU ms)}."""
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {secret}")
    bodies = iter(payments)

    def pay():
        body = next(bodies)
        return client.post("/api/v1/payments/", body, content_type="application/json")

    measured = {}
    for label, call in (
        ("floor", lambda: Client(HTTP_HOST="127.0.0.1").get("/healthz")),
        ("list, 10 per page", lambda: client.get("/api/v1/invoices/?page_size=10")),
        ("list, 100 per page", lambda: client.get("/api/v1/invoices/?page_size=100")),
        ("detail", lambda: client.get(f"/api/v1/invoices/{detail_id}/")),
        ("payment", pay),
    ):
        call()
        with QueryCount() as queries:
            response = call()
        assert response.status_code in (200, 201), (label, response.status_code, response.content)
        started = time.process_time()
        for _ in range(CPU_CALLS):
            call()
        measured[label] = (queries.count, 1000 * (time.process_time() - started) / CPU_CALLS)
    return measured


def main(*, requests=400, concurrency=4):
    from portage.batch import paris_today

    today = paris_today()
    fresh_database()
    _tenant, secret, detail_id, payments = world_for_api(today)
    # The last bodies are this process's; gunicorn's calls take the others.
    measured = in_process(secret, detail_id, payments[-(CPU_CALLS + 2) :])
    counts = {label: queries for label, (queries, _cpu) in measured.items()}
    port = free_port()
    server = start_gunicorn(port)
    base = f"http://127.0.0.1:{port}"
    auth = {"Authorization": f"Bearer {secret}"}
    scenarios = [
        ("/healthz (floor)", {"url": f"{base}/healthz"}, "floor"),
        (
            "GET /api/v1/invoices/ (100 per page)",
            {"url": f"{base}/api/v1/invoices/?page_size=100", "headers": auth},
            "list, 100 per page",
        ),
        (
            "GET /api/v1/invoices/{id}/",
            {"url": f"{base}/api/v1/invoices/{detail_id}/", "headers": auth},
            "detail",
        ),
        (
            "POST /api/v1/payments/",
            {
                "url": f"{base}/api/v1/payments/",
                "method": "POST",
                "headers": auth,
                "bodies": payments[: -(CPU_CALLS + 2)],
            },
            "payment",
        ),
    ]
    started_load = load_average()
    try:
        results = []
        for label, spec, count_key in scenarios:
            load({**spec, "requests": 20, "concurrency": concurrency})  # warm both workers
            result = load({**spec, "requests": requests, "concurrency": concurrency})
            results.append((label, result, count_key))
    finally:
        server.terminate()
        server.wait(timeout=30)
    floor_p95 = percentile(results[0][1]["latencies_ms"], 95)
    header(
        "request",
        "p50 (ms)",
        "p95 (ms)",
        "p99 (ms)",
        "requests/s",
        "p95 / floor p95",
        "queries per request",
        "CPU ms per request (in process)",
        "CPU / floor CPU",
        "statuses",
    )
    for label, result, count_key in results:
        samples = result["latencies_ms"]
        p95 = percentile(samples, 95)
        row(
            label,
            f"{percentile(samples, 50):.1f}",
            f"{p95:.1f}",
            f"{percentile(samples, 99):.1f}",
            f"{len(samples) / result['wall_s']:.0f}",
            f"{p95 / floor_p95:.1f}×",
            "—" if count_key == "floor" else counts[count_key],
            f"{measured[count_key][1]:.1f}",
            f"{measured[count_key][1] / measured['floor'][1]:.1f}×",
            ", ".join(f"{code}: {n}" for code, n in sorted(result["statuses"].items())),
        )
    print(
        f"\nqueries: a page of 10 invoices {counts['list, 10 per page']}, "
        f"a page of 100 {counts['list, 100 per page']}; {requests} requests per line, "
        f"{concurrency} client threads, gunicorn 2 workers",
        flush=True,
    )
    print(f"{started_load} at the start, {load_average()} at the end", flush=True)
