#!/usr/bin/env python3
"""Load: USERS simulated users (consultants, collectors, API clients) for MINUTES against
gunicorn (3 sync workers, as in the Dockerfile) and a Celery worker (2 processes), on a
private PostgreSQL cluster seeded with the demo companies.

Each user loops: a request, then 0.3 to 1.5 s of thought. Consultants read their home,
reminders, pay and invoices (sometimes the PDF); collectors the collections home, worklist,
client timelines, aging balance, invoices, clients, bank and letters; API clients list and
read invoices, payments and clients, and one time in four create a draft, issue it (a PDF
task for the worker) and post a payment on it under an Idempotency-Key. Users are signed in
by a session made beforehand (sign-in itself is not under load: allauth limits sign-ins
per address). At the end: answers by kind and status, latencies, and every ERROR,
CRITICAL or Traceback line in the web and worker logs.

    .venv/bin/python scripts/reliability/load.py [--users 50] [--minutes 5]
        [--port 5440] [--web-port 8765] [--redis-url redis://127.0.0.1:6379/13]

Run as root (the cluster runs as `postgres`). Prints Markdown tables.
"""

# ruff: noqa: S311, S603

import argparse
import json
import random
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cluster import MANAGE, PYTHON, ROOT, private_cluster, run

PRELUDE = """
import json
from django.test import Client
from invoices.models import Client as Customer, Invoice, Mission
from portage.api.keys import api_key_create
from portage.models import Tenant, User
from portage.tenancy import tenant_context
from tests.factories import totp_secret_for

def session(user):
    browser = Client()
    browser.force_login(user)
    return browser.cookies["sessionid"].value

out = {"consultants": [], "collectors": [], "api": []}
for tenant in Tenant.objects.filter(is_active=True):
    domain = tenant.legal_name.split()[0].lower()
    consultant = User.objects.get(email=f"consultant@{domain}.example")
    collector = User.objects.get(email=f"recouvrement@{domain}.example")
    admin = User.objects.get(email=f"admin@{domain}.example")
    totp_secret_for(collector)
    with tenant_context(tenant):
        issued = list(Invoice.objects.exclude(number="").values_list("pk", flat=True))
        mine = list(Invoice.objects.filter(consultant__user=consultant, kind="invoice")
                    .exclude(number="")
                    .values_list("pk", flat=True))
        clients = list(Customer.objects.values_list("pk", flat=True))
        missions = list(Mission.objects.values_list("pk", "client_id", "consultant_id"))
        _key, secret = api_key_create(tenant=tenant, name="Load", scope="write", by=admin)
    out["consultants"].append({"sessions": [session(consultant) for _ in range(20)],
                               "invoices": mine})
    out["collectors"].append({"sessions": [session(collector) for _ in range(20)],
                              "invoices": issued, "clients": clients})
    out["api"].append({"key": secret, "invoices": issued, "clients": clients,
                       "missions": missions})
print("JSON" + json.dumps(out))
"""

AFTER_THE_RUN = """
from invoices.models import Invoice, Payment
from portage.tenancy import all_tenants
print(all_tenants(Payment).filter(allocations__invoice__in={ids}).distinct().count(),
      all_tenants(Invoice).filter(pk__in={ids}, pdf="").count())
"""


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.rows = []
        self.issued = []

    def add(self, group, label, status, seconds):
        with self.lock:
            self.rows.append((group, label, status, seconds))


def timed(recorder, group, label, method, url, **kwargs):
    started = time.monotonic()
    try:
        response = method(url, timeout=60, allow_redirects=False, **kwargs)
        status = response.status_code
    except requests.RequestException as error:
        response, status = None, type(error).__name__
    recorder.add(group, label, status, time.monotonic() - started)
    return response


def consultant(base, data, recorder, stop):
    web = requests.Session()
    web.cookies.set("sessionid", data["sessions"].pop())
    pages = ["/", "/mon-espace/relances/", "/mon-espace/remuneration/"]
    while not stop.is_set():
        choice = random.random()
        if choice < 0.6 or not data["invoices"]:
            path = random.choice(pages)
            timed(recorder, "consultant", path, web.get, base + path)
        elif choice < 0.95:
            pk = random.choice(data["invoices"])
            timed(
                recorder,
                "consultant",
                "/mon-espace/factures/<id>/",
                web.get,
                f"{base}/mon-espace/factures/{pk}/",
            )
        else:
            pk = random.choice(data["invoices"])
            timed(
                recorder,
                "consultant",
                "/mon-espace/factures/<id>/pdf/",
                web.get,
                f"{base}/mon-espace/factures/{pk}/pdf/",
            )
        stop.wait(random.uniform(0.3, 1.5))


def collector(base, data, recorder, stop):
    web = requests.Session()
    web.cookies.set("sessionid", data["sessions"].pop())
    pages = [
        "/",
        "/recouvrement/",
        "/recouvrement/balance-agee/",
        "/factures/",
        "/clients/",
        "/banque/",
        "/recouvrement/courriers/",
        "/recouvrement/emails/",
    ]
    while not stop.is_set():
        choice = random.random()
        if choice < 0.5:
            path = random.choice(pages)
            timed(recorder, "collector", path, web.get, base + path)
        elif choice < 0.75:
            pk = random.choice(data["clients"])
            timed(
                recorder,
                "collector",
                "/recouvrement/clients/<id>/",
                web.get,
                f"{base}/recouvrement/clients/{pk}/",
            )
        else:
            pk = random.choice(data["invoices"])
            timed(recorder, "collector", "/factures/<id>/", web.get, f"{base}/factures/{pk}/")
        stop.wait(random.uniform(0.3, 1.5))


def api_client(base, data, recorder, stop):
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {data['key']}"
    api_base = f"{base}/api/v1"
    while not stop.is_set():
        choice = random.random()
        if choice < 0.25:
            write_flow(api, api_base, data, recorder)
        elif choice < 0.5:
            timed(
                recorder,
                "api",
                "GET /invoices/",
                api.get,
                f"{api_base}/invoices/",
                params={"page_size": 20},
            )
        elif choice < 0.7:
            pk = random.choice(data["invoices"])
            timed(recorder, "api", "GET /invoices/<id>/", api.get, f"{api_base}/invoices/{pk}/")
        elif choice < 0.85:
            timed(recorder, "api", "GET /payments/", api.get, f"{api_base}/payments/")
        else:
            timed(recorder, "api", "GET /clients/", api.get, f"{api_base}/clients/")
        stop.wait(random.uniform(0.3, 1.5))


def write_flow(api, api_base, data, recorder):
    mission, client, consultant_id = random.choice(data["missions"])
    draft = timed(
        recorder,
        "api",
        "POST /invoices/",
        api.post,
        f"{api_base}/invoices/",
        json={
            "client": client,
            "consultant": consultant_id,
            "mission": mission,
            "lines": [
                {
                    "description": "Conseil",
                    "quantity": "2",
                    "unit": "DAY",
                    "unit_price": "500.00",
                    "vat_rate": "20.00",
                }
            ],
        },
    )
    if draft is None or draft.status_code != 201:
        return
    pk = draft.json()["id"]
    issued = timed(
        recorder,
        "api",
        "POST /invoices/<id>/issue/",
        api.post,
        f"{api_base}/invoices/{pk}/issue/",
        headers={"Idempotency-Key": f"i-{pk}"},
    )
    if issued is None or issued.status_code != 200:
        return
    with recorder.lock:
        recorder.issued.append(pk)
    key = str(uuid.uuid4())
    body = {
        "client": client,
        "amount": "100.00",
        "received_on": date.today().isoformat(),
        "allocations": [{"invoice": pk, "amount": "100.00"}],
    }
    for _ in range(2):  # the second post is a client's retry: answered, not recorded again
        timed(
            recorder,
            "api",
            "POST /payments/",
            api.post,
            f"{api_base}/payments/",
            json=body,
            headers={"Idempotency-Key": key},
        )


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def report(recorder, logs, args, elapsed, pdf_left, payments):
    rows = recorder.rows
    print(
        f"\n{args.users} users for {elapsed:.0f} s: {len(rows)} requests, "
        f"{len(rows) / elapsed:.1f} per second\n"
    )
    print("| who | requests | 2xx/3xx | 4xx | 5xx | errors | p50 ms | p95 ms | max ms |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    groups = defaultdict(list)
    for row in rows:
        groups[row[0]].append(row)
        groups["all"].append(row)
    for name, group in groups.items():
        statuses = Counter(
            "err" if not isinstance(s, int) else f"{s // 100}xx" for _, _, s, _ in group
        )
        ms = [seconds * 1000 for *_, seconds in group]
        print(
            f"| {name} | {len(group)} | {statuses['2xx'] + statuses['3xx']} | "
            f"{statuses['4xx']} | {statuses['5xx']} | {statuses['err']} | "
            f"{statistics.median(ms):.0f} | {percentile(ms, 0.95):.0f} | {max(ms):.0f} |"
        )
    print("\n| request | count | statuses | p95 ms |")
    print("| --- | ---: | --- | ---: |")
    by_label = defaultdict(list)
    for group, label, status, seconds in rows:
        by_label[f"{group} {label}"].append((status, seconds))
    for label, items in sorted(by_label.items()):
        statuses = ", ".join(
            f"{k}: {v}" for k, v in sorted(Counter(s for s, _ in items).items(), key=str)
        )
        p95 = percentile([s * 1000 for _, s in items], 0.95)
        print(f"| {label} | {len(items)} | {statuses} | {p95:.0f} |")
    print("\n| log | lines | ERROR / CRITICAL | Traceback |")
    print("| --- | ---: | ---: | ---: |")
    for name, path in logs.items():
        text = path.read_text()
        errors = [
            line
            for line in text.splitlines()
            if " ERROR " in line or "CRITICAL" in line or "ERROR/" in line
        ]
        print(f"| {name} | {len(text.splitlines())} | {len(errors)} | {text.count('Traceback')} |")
        for line in errors[:5]:
            print(f"\n    {line[:300]}")
    print(
        f"\nInvoices issued through the API during the run: {len(recorder.issued)}; "
        f"still without their PDF once the worker drained: {pdf_left}; payments recorded on "
        f"them (each posted twice under one Idempotency-Key): {payments}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--port", type=int, default=5440)
    parser.add_argument("--web-port", type=int, default=8765)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--replay-days", type=int, default=60)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    with private_cluster(
        port=args.port, redis_url=args.redis_url, keep=args.keep, LOG_LEVEL="INFO"
    ) as (cluster, env):
        started = time.monotonic()
        run([*MANAGE, "seed_demo", "--replay-days", str(args.replay_days)], env=env, cwd=ROOT)
        print(f"seeded in {time.monotonic() - started:.0f} s", flush=True)
        out = run([*MANAGE, "shell", "-c", PRELUDE], env=env, cwd=ROOT).stdout
        world = json.loads(out.split("JSON", 1)[1])
        logs = {"web": cluster.work / "web.log", "worker": cluster.work / "worker.log"}
        with logs["web"].open("w") as web_log, logs["worker"].open("w") as worker_log:
            web = subprocess.Popen(
                [
                    PYTHON,
                    "-m",
                    "gunicorn",
                    "portage.wsgi:application",
                    "--bind",
                    f"127.0.0.1:{args.web_port}",
                    "--workers",
                    "3",
                    "--access-logfile",
                    "-",
                ],
                env=env,
                cwd=ROOT,
                stdout=web_log,
                stderr=subprocess.STDOUT,
            )
            worker = subprocess.Popen(
                [
                    PYTHON,
                    "-m",
                    "celery",
                    "-A",
                    "portage",
                    "worker",
                    "--concurrency",
                    "2",
                    "--loglevel",
                    "info",
                    "--without-mingle",
                    "--without-gossip",
                ],
                env=env,
                cwd=ROOT,
                stdout=worker_log,
                stderr=subprocess.STDOUT,
            )
        base = f"http://127.0.0.1:{args.web_port}"
        try:
            for _ in range(100):
                try:
                    requests.get(base + "/healthz", timeout=2)
                    break
                except requests.RequestException:
                    time.sleep(0.3)
            recorder, stop = Recorder(), threading.Event()
            threads = []
            for index in range(args.users):
                role = [consultant, collector, collector, api_client, api_client][index % 5]
                data = world[
                    {consultant: "consultants", collector: "collectors", api_client: "api"}[role]
                ][index % 2]
                threads.append(threading.Thread(target=role, args=(base, data, recorder, stop)))
            began = time.monotonic()
            for thread in threads:
                thread.start()
                time.sleep(0.1)
            stop.wait(args.minutes * 60)
            stop.set()
            for thread in threads:
                thread.join(timeout=90)
            elapsed = time.monotonic() - began
            payments = pdf_left = None
            for _ in range(60):
                query = AFTER_THE_RUN.format(ids=recorder.issued)
                answer = run([*MANAGE, "shell", "-c", query], env=env, cwd=ROOT).stdout
                payments, pdf_left = map(int, answer.split()[-2:])
                if pdf_left == 0:
                    break
                time.sleep(2)
        finally:
            web.terminate()
            worker.terminate()
            web.wait(timeout=60)
            worker.wait(timeout=60)
        report(recorder, logs, args, elapsed, pdf_left, payments)


if __name__ == "__main__":
    main()
