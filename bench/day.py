"""Benchmark: the ordinary day. Days of companies of `--open` open invoices each (10,000 by
default), as the beat runs them, through real Celery workers.

`python -m bench day [--tenants 1] [--open 10000] [--days 60] [--workers 2] [--no-pdf]`
(through `./scripts/bench day ...`, which sets the bench database and Redis up).

1. A fresh database and the companies of `bench.world` (`--open` / 0.83 invoices each, as
   83 % of its invoices are open; one client per 40 invoices). Its first day is the
   company's first day on the ladder, which catches up: the **catch-up day**.
2. Every later day (the **ordinary days**), before the beat: the day's new invoices and
   payments, written in bulk in each company's tenant context as `bench.world` writes
   them (an invoice with its line, frozen parties, cover and number; a transfer with its
   allocation). About 1/40 of the open book is issued each day and as many invoices are
   paid (±20 %), so the book stays near its size: seven payments in ten go to invoices
   due within the last 20 days or the next 5, the others to older overdue ones; one in
   ten pays half of what is owed.
3. The day as the beat runs it: the beat's task for the dunning job
   (`portage.tasks.fan_out_daily_job`, `job="dunning"`, `run_date=` the day), which sends
   one task per company, which prepares the day and sends one task per chunk of clients;
   once they are all done and the formal notices' PDFs drawn, the same for the
   insurance job (the beat sends it an hour later; the wait is not counted).
   `--workers` Celery worker processes (`--pool solo`, so one task at a time each),
   started by the bench on its Redis, take them. The bench knows a company's job
   is done from its batch run record (`portage.batch._record`, polled every 20 ms), reads
   the chunk tasks' ids in the record's summary, and waits for each task's end as the
   worker reports it. Each job's time runs from the beat's task sent to its last task's
   end (as the worker stamps it, not when the bench noticed); the day's is their sum. The formal
   notices' PDFs are drawn after the batch by tasks of their own, on the same workers:
   the bench waits until none is pending before the insurance job, and prints when the
   last was drawn (from the day's start) and those tasks' queries.
4. Queries: the workers load `bench.worker`, which counts the SQL statements of every
   task with `bench.common.QueryCount` (Django's execute wrapper on every connection of
   the worker) and writes each task's count to Redis: the day's queries are the exact sum
   over the beat's tasks, the companies' tasks and their chunks (the PDF tasks apart).
5. The floor of each day: `bench.batch.floor` in this process right after the day, the
   same candidate selection (open invoices within the ladder's reach) and as many rows
   written as the day wrote actions, in plain SQL.

Printed: one line per day, then the run's table (median and slowest ordinary day, the
catch-up day, queries per 1,000 invoices on the ladder and per 1,000 invoices, floor and
ratio of the median day) and the load average at start and end.
"""

import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal

from bench.common import analyze, fresh_database, header, median, row

START = date(2026, 3, 2)
OPEN_SHARE = 0.83  # of bench.world's invoices
DAILY_SHARE = 1 / 40  # of the open book issued, and paid, each day
POLL = 0.02
JOBS = ("dunning", "insurance")


def load():
    return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def platform_rows(sql, params=()):
    from django.db import connections

    with connections["platform"].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def written():
    """Rows the batch writes, over all companies."""
    tables = {
        "actions": "dunning_action",
        "letters": "dunning_letter",
        "emails": "dunning_message",
        "declarations": "insurance_declaration",
        "claimed": "insurance_claiminvoice",
    }
    counts = {}
    for name, table in tables.items():
        counts[name] = platform_rows(f"SELECT count(*) FROM {table}")[0][0]  # noqa: S608 (fixed names)
    return counts


# --- the workers ------------------------------------------------------------------------


class Workers:
    """`count` Celery workers (solo pool) on the bench's database and broker, with
    `bench.worker` loaded; their logs in /tmp."""

    def __init__(self, count, *, with_pdfs):
        from django.conf import settings

        self.processes = []
        env = {**os.environ, "BENCH_NO_PDF": "" if with_pdfs else "1"}
        tag = os.getpid()
        self.names = [f"benchday{number}-{tag}@{os.uname().nodename}" for number in range(count)]
        for name in self.names:
            path = os.path.join(tempfile.gettempdir(), f"bench_day_{name.split('@')[0]}.log")
            log = open(path, "w")  # noqa: SIM115 (the worker writes it until it stops)
            self.processes.append(
                subprocess.Popen(  # noqa: S603 (this interpreter, fixed arguments)
                    [
                        *(sys.executable, "-m", "celery", "-A", "portage", "worker"),
                        *("--pool", "solo", "--concurrency", "1", "--loglevel", "warning"),
                        *("--without-mingle", "--without-gossip", "--include", "bench.worker"),
                        *("--hostname", name),
                    ],
                    env=env,
                    cwd=settings.BASE_DIR,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        self.wait_ready()

    def wait_ready(self):
        from portage.celery import app

        deadline = time.monotonic() + 120
        waiting = set(self.names)
        while waiting:
            self.check()
            for answer in app.control.ping(destination=list(waiting), timeout=1) or []:
                waiting -= set(answer)
            if time.monotonic() > deadline:
                raise RuntimeError(f"workers did not start: {sorted(waiting)}")

    def check(self):
        for process in self.processes:
            if process.poll() is not None:
                raise RuntimeError(
                    f"a worker stopped (exit {process.returncode}): see {process.args[-1]}'s log"
                )

    def stop(self):
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()


def reset_redis():
    """The bench's broker and cache databases start empty (no task of an earlier run)."""
    import redis
    from django.conf import settings

    for url in {settings.CELERY_BROKER_URL, settings.CACHES["default"]["LOCATION"]}:
        if url.rstrip("/").endswith(("/0", ":6379")):
            raise RuntimeError(f"refusing to empty {url}: set BENCH_REDIS_URL/BENCH_CACHE_URL")
        redis.Redis.from_url(url).flushdb()


# --- a day as the beat runs it ----------------------------------------------------------


def ends_of(task_ids):
    from bench.worker import ENDS, QUERIES, redis_client

    client = redis_client()
    ends = client.hmget(ENDS, task_ids)
    counts = client.hmget(QUERIES, task_ids)
    return ends, counts


def run_job(job, today, tenants, workers, timeout):
    """The beat's task for `job` and `today`, then every task it leads to, until the last
    ends; returns (seconds, queries, tasks)."""
    from portage.tasks import fan_out_daily_job_task

    started = time.time()
    beat = fan_out_daily_job_task.delay(job=job, run_date=today.isoformat())
    deadline = time.monotonic() + timeout
    while True:
        runs = platform_rows(
            "SELECT tenant_id, status, summary, error FROM portage_batchrun "
            "WHERE job = %s AND run_date = %s",
            [job, today],
        )
        if len(runs) >= tenants:
            break
        workers.check()
        if time.monotonic() > deadline:
            raise RuntimeError(f"{job} {today}: {len(runs)} of {tenants} companies done")
        time.sleep(POLL)
    failed = [error for _tenant, status, _summary, error in runs if status != "succeeded"]
    if failed:
        raise RuntimeError(f"{job} {today} failed:\n{failed[0]}")
    task_ids = [beat.id, *beat.get(timeout=timeout)["task_ids"]]
    for _tenant, _status, summary, _error in runs:
        task_ids += json.loads(summary).get("chunk_task_ids", [])
    while True:
        ends, counts = ends_of(task_ids)
        if all(end is not None and not end.endswith(b"RETRY") for end in ends):
            break
        workers.check()
        if time.monotonic() > deadline:
            raise RuntimeError(f"{job} {today}: tasks still running")
        time.sleep(POLL)
    states = [end.split()[1].decode() for end in ends]
    if any(state != "SUCCESS" for state in states):
        raise RuntimeError(f"{job} {today}: a task ended {sorted(set(states))}")
    finished = max(float(end.split()[0]) for end in ends)
    busy = sum(float(end.split()[2]) for end in ends)
    return finished - started, sum(int(count) for count in counts), task_ids, busy


def wait_no_pending_pdf(workers, timeout):
    deadline = time.monotonic() + timeout
    while platform_rows("SELECT 1 FROM dunning_letter WHERE pdf_state = 'pending' LIMIT 1"):
        workers.check()
        if time.monotonic() > deadline:
            raise RuntimeError("formal notices' PDFs still pending")
        time.sleep(0.2)


def wait_for_pdfs(started, day_task_ids, workers, timeout):
    """Once no formal notice waits for its PDF: the other tasks that ended since `started`
    (the PDFs' tasks, which release the held email copies), their queries and the end of
    the last, in seconds from `started` (None when there were none)."""
    from bench.worker import ENDS, QUERIES, redis_client

    wait_no_pending_pdf(workers, timeout)
    failed = platform_rows("SELECT count(*) FROM dunning_letter WHERE pdf_state = 'failed'")[0][0]
    if failed:
        raise RuntimeError(f"{failed} formal notices' PDFs failed")
    time.sleep(0.5)  # the last PDF task's end, reported just after its commit
    client = redis_client()
    day = set(day_task_ids)
    others = {
        task_id: float(end.split()[0])
        for task_id, end in client.hgetall(ENDS).items()
        if task_id.decode() not in day and float(end.split()[0]) >= started
    }
    if not others:
        return 0, 0, None
    queries = sum(int(count) for count in client.hmget(QUERIES, list(others)))
    return len(others), queries, max(others.values()) - started


def one_day(number, today, tenants, workers, reach, timeout):
    from bench.batch import candidates, floor

    before = written()
    considered = candidates(today, reach)
    started = time.time()
    spent = {}
    for job in JOBS:
        spent[job] = run_job(job, today, tenants, workers, timeout)
        # The beat sends the insurance job an hour after the dunning job, when the day's
        # formal notices have their PDFs: so here, without counting the wait.
        wait_no_pending_pdf(workers, timeout)
    day_task_ids = [task_id for _s, _q, task_ids, _b in spent.values() for task_id in task_ids]
    other_tasks, other_queries, pdfs = wait_for_pdfs(started, day_task_ids, workers, timeout)
    after = written()
    made = {name: after[name] - before[name] for name in after}
    floor_seconds, _rows = floor(today, reach, made["actions"], considered)
    return {
        "number": number,
        "today": today,
        "candidates": considered,
        **made,
        "dunning": spent["dunning"],
        "insurance": spent["insurance"],
        "seconds": sum(s for s, _q, _t, _b in spent.values()),
        "busy": sum(b for _s, _q, _t, b in spent.values()),
        "queries": sum(q for _s, q, _t, _b in spent.values()),
        "tasks": len(day_task_ids),
        "pdfs": pdfs,
        "other_tasks": other_tasks,
        "other_queries": other_queries,
        "floor": floor_seconds,
    }


# --- the day's new invoices and payments ------------------------------------------------


def live_day(tenant, today, rng):
    """Writes `tenant`'s new invoices and payments of `today`; returns (issued, paid)."""
    from invoices.models import Invoice
    from portage.tenancy import tenant_context

    with tenant_context(tenant):
        book = list(
            Invoice.objects.filter(
                kind=Invoice.Kind.INVOICE,
                status__in=[Invoice.Status.ISSUED, Invoice.Status.PARTIALLY_PAID],
            ).values_list(
                "pk", "client_id", "due_date", "total_ttc", "paid_amount", "credited_amount"
            )
        )
        share = len(book) * DAILY_SHARE
        paid = _pay(tenant, today, book, round(share * rng.uniform(0.8, 1.2)), rng)
        issued = _issue(tenant, today, round(share * rng.uniform(0.8, 1.2)), rng)
    return issued, paid


def _pay(tenant, today, book, count, rng):
    from django.db import connection

    from invoices.models import Allocation, Invoice, Payment
    from portage.models import Membership
    from portage.money import to_cents
    from portage.permissions import Role

    near = [i for i in book if today - timedelta(days=20) <= i[2] <= today + timedelta(days=5)]
    old = [i for i in book if i[2] < today - timedelta(days=20)]
    chosen = rng.sample(near, min(len(near), round(count * 0.7)))
    chosen += rng.sample(old, min(len(old), count - len(chosen)))
    if not chosen:
        return 0
    admin = Membership.objects.filter(role=Role.ADMIN).values_list("user_id", flat=True).first()
    amounts, statuses = [], []
    for _pk, _client, _due, total, paid, credited in chosen:
        owed = total - paid - credited
        half = rng.random() < 0.1 and paid == 0
        amounts.append(to_cents(owed / 2) if half else owed)
        statuses.append(Invoice.Status.PARTIALLY_PAID if half else Invoice.Status.PAID)
    payments = Payment.objects.bulk_create(
        Payment(
            tenant=tenant,
            client_id=client,
            amount=amount,
            received_on=today,
            method=Payment.Method.TRANSFER,
            reference=f"VIR {pk}",
            created_by_id=admin,
        )
        for (pk, client, *_rest), amount in zip(chosen, amounts, strict=True)
    )
    Allocation.objects.bulk_create(
        Allocation(
            tenant=tenant, payment=payment, invoice_id=pk, amount=amount, created_by_id=admin
        )
        for payment, (pk, *_rest), amount in zip(payments, chosen, amounts, strict=True)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE invoices_invoice i SET paid_amount = i.paid_amount + u.amount, "
            "status = u.status FROM unnest(%s::bigint[], %s::numeric[], %s::text[]) "
            "AS u(id, amount, status) WHERE i.id = u.id",
            [[i[0] for i in chosen], amounts, [str(s) for s in statuses]],
        )
    return len(chosen)


def _issue(tenant, today, count, rng):
    """`count` invoices issued today, as `bench.world` writes them."""
    from bench.world import invoice_lines, invoice_row
    from insurance.models import Cover, CreditLimit, InsurancePolicy
    from invoices.models import Invoice, Mission, NumberCounter
    from invoices.services.billing import _buyer, _seller

    if count <= 0:
        return 0
    missions = list(Mission.objects.select_related("client", "consultant"))
    counter = NumberCounter.objects.get(
        kind=Invoice.Kind.INVOICE, year=today.year if tenant.number_yearly_reset else 0
    )
    seller = _seller(tenant)
    prefix = f"{tenant.invoice_prefix}-{today.year}"
    buyers = {}
    rows, lines = [], []
    for offset in range(count):
        mission = rng.choice(missions)
        days = Decimal(rng.randint(4, 20))
        if mission.client_id not in buyers:
            buyers[mission.client_id] = _buyer(mission.client)
        rows.append(
            invoice_row(
                tenant,
                mission,
                number=f"{prefix}-{counter.last_number + offset + 1:06d}",
                issue_date=today,
                days=days,
                seller=seller,
                buyer=buyers[mission.client_id],
            )
        )
        lines.append((days, mission))
    invoices = Invoice.objects.bulk_create(rows)
    invoice_lines(tenant, invoices, lines)
    Invoice.objects.filter(pk__in=[i.pk for i in invoices]).update(status=Invoice.Status.ISSUED)
    counter.last_number += count
    counter.last_issue_date = today
    counter.save(update_fields=["last_number", "last_issue_date"])
    policy = InsurancePolicy.objects.get()
    limited = set(
        CreditLimit.objects.filter(status=CreditLimit.Status.GRANTED).values_list(
            "client_id", flat=True
        )
    )
    covers = []
    for invoice in invoices:
        if invoice.client_id in limited:
            reason, covered, limit = Cover.Reason.COVERED, invoice.total_ttc, Decimal("500000")
        elif invoice.total_ttc <= policy.discretionary_limit:
            reason, covered, limit = Cover.Reason.DISCRETIONARY, invoice.total_ttc, None
        else:
            reason, covered, limit = Cover.Reason.NO_LIMIT, Decimal("0"), None
        covers.append(
            Cover(
                tenant=tenant,
                invoice=invoice,
                policy=policy,
                reason=reason,
                basis_amount=invoice.total_ttc,
                covered_amount=covered,
                uncovered_amount=invoice.total_ttc - covered,
                limit_amount=limit,
                exposure_before=Decimal("0"),
                decided_on=today,
            )
        )
    Cover.objects.bulk_create(covers)
    return count


# --- the run ----------------------------------------------------------------------------


def per_thousand(queries, invoices):
    return f"{1000 * queries / invoices:.0f}" if invoices else "—"


def main(*, tenants=1, open_per_tenant=10_000, days=60, workers=2, with_pdfs=True, seed=11):
    from bench import world
    from dunning.defaults import DEFAULT_STEPS

    load_at_start = load()
    print(f"load average at start: {load_at_start}", flush=True)
    rng = random.Random(seed)  # noqa: S311 (reproducible data, not secrets)
    fresh_database()
    reset_redis()
    per_tenant = round(open_per_tenant / OPEN_SHARE)
    started = time.monotonic()
    made = world.build(
        tenants=tenants,
        invoices_per_tenant=per_tenant,
        today=START,
        clients_per_tenant=max(10, per_tenant // 40),
    )
    analyze()
    print(
        f"generated {tenants} × {per_tenant:,} invoices in {time.monotonic() - started:.1f} s",
        flush=True,
    )
    reach = max(-step["days_from_due"] for step in DEFAULT_STEPS)
    timeout = 600 + tenants * per_tenant / 50
    pool = Workers(workers, with_pdfs=with_pdfs)
    results = []
    header(
        "day", "date", "new invoices", "payments", "invoices", "on the ladder", "actions",
        "emails", "letters", "declarations", "claimed", "dunning (s)", "insurance (s)",
        "day (s)", "workers busy (s)", "PDFs drawn (s)", "tasks", "queries", "PDF tasks",
        "their queries", "queries / 1,000 on the ladder", "floor (s)", "ratio", "load",
    )  # fmt: skip
    try:
        for number in range(1, days + 1):
            today = START + timedelta(days=number - 1)
            issued = paid = 0
            if number > 1:
                for tenant in made:
                    new, settled = live_day(tenant, today, rng)
                    issued += new
                    paid += settled
                if number % 10 == 0:
                    analyze()  # what autovacuum does to tables growing by the day
            result = one_day(number, today, len(made), pool, reach, timeout)
            result["book"] = platform_rows("SELECT count(*) FROM invoices_invoice")[0][0]
            results.append(result)
            row(
                number, today, issued, paid, f"{result['book']:,}",
                f"{result['candidates']:,}", f"{result['actions']:,}", result["emails"],
                result["letters"], result["declarations"], result["claimed"],
                f"{result['dunning'][0]:.1f}", f"{result['insurance'][0]:.1f}",
                f"{result['seconds']:.1f}", f"{result['busy']:.1f}",
                "—" if result["pdfs"] is None else f"{result['pdfs']:.1f}",
                result["tasks"], f"{result['queries']:,}", result["other_tasks"],
                f"{result['other_queries']:,}",
                per_thousand(result["queries"], result["candidates"]),
                f"{result['floor']:.3f}", f"{result['seconds'] / result['floor']:.0f}×",
                load(),
            )  # fmt: skip
    finally:
        pool.stop()
    summarize(results, tenants=tenants, per_tenant=per_tenant, workers=workers)
    print(f"\nload average at start: {load_at_start}; at end: {load()}", flush=True)
    return results


STEADY_FROM = 31  # the invoices the bench issued (from day 2, due 30 days later) on the ladder


def summarize(results, *, tenants, per_tenant, workers):
    """The run's table: the ordinary days, and those from day 31 on (when the invoices the
    bench issued come due, the ladder's steady state), each with the catch-up day."""
    catch_up = results[0]
    print()
    header(
        "companies × invoices", "workers", "ordinary days", "on the ladder (median day)",
        "actions (median day)", "emails (median day)", "letters (median day)",
        "median day (s)", "workers busy, median day (s)", "slowest day (s)",
        "catch-up day (s)", "queries / 1,000 on the ladder: median day", "catch-up day",
        "queries / 1,000 invoices: catch-up day", "floor of the median day (s)", "ratio",
    )  # fmt: skip
    spans = [(f"2–{len(results)}", results[1:])]
    if len(results) > STEADY_FROM:
        spans.append((f"{STEADY_FROM}–{len(results)}", results[STEADY_FROM - 1 :]))
    for label, days in spans:
        if not days:
            continue
        middle = sorted(days, key=lambda r: r["seconds"])[(len(days) - 1) // 2]
        slowest = max(days, key=lambda r: r["seconds"])
        median_seconds = median([r["seconds"] for r in days])
        row(
            f"{tenants} × {per_tenant:,}", workers, label, f"{middle['candidates']:,}",
            f"{middle['actions']:,}", middle["emails"], middle["letters"],
            f"{median_seconds:.1f}", f"{median([r['busy'] for r in days]):.1f}",
            f"{slowest['seconds']:.1f} (day {slowest['number']})",
            f"{catch_up['seconds']:.1f}",
            per_thousand(middle["queries"], middle["candidates"]),
            per_thousand(catch_up["queries"], catch_up["candidates"]),
            per_thousand(catch_up["queries"], tenants * per_tenant),
            f"{middle['floor']:.3f}", f"{median_seconds / middle['floor']:.0f}×",
        )  # fmt: skip
    if len(results) == 1:
        row(
            f"{tenants} × {per_tenant:,}", workers, "—", "—", "—", "—", "—", "—", "—", "—",
            f"{catch_up['seconds']:.1f}", "—",
            per_thousand(catch_up["queries"], catch_up["candidates"]),
            per_thousand(catch_up["queries"], tenants * per_tenant), "—", "—",
        )  # fmt: skip
