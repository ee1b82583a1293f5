#!/usr/bin/env python3
"""PostgreSQL restarted in the middle of a dunning day run by a real worker.

A private cluster (initdb in a temporary folder, another port, run as the `postgres` OS
user), migrated; one company with CLIENTS clients, two overdue invoices each, brought by
`run_dunning` to the eve of the formal notice; then the formal-notice day is sent to a
Celery worker (prefork, 2 processes) as the beat does, in chunks of CHUNK clients, and the
cluster is restarted (`pg_ctl restart -m fast`: every connection cut, open transactions
rolled back) once the first chunk has committed. The script then waits for the batch to
settle and checks: each (invoice, step) once, every formal notice with its letter and every
letter with its PDF on disk matching its SHA-256, no message twice, and a catch-up run of
the same day finds nothing left to do.

    .venv/bin/python scripts/reliability/pg_restart.py [--clients 60] [--chunk 5]
        [--port 5439] [--redis-url redis://127.0.0.1:6379/13] [--keep]

Run as root (the cluster runs as `postgres`). Prints a Markdown table of the results.
"""
# The commands and the SQL are the script's own constants.
# ruff: noqa: S603, S608

import argparse
import hashlib
import subprocess
import sys
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cluster import MANAGE, PYTHON, ROOT, private_cluster, run

SEED = """
from datetime import date
from tests.factories import TenantFactory, make_client, make_consultant, make_invoice
tenant = TenantFactory(legal_name="Restart Portage")
consultant = make_consultant(tenant)
for _ in range({clients}):
    client = make_client(tenant)
    for _ in range(2):
        make_invoice(tenant, client=client, consultant=consultant, issued_on=date(2026, 3, 2))
print(tenant.pk)
"""
ENQUEUE = """
from portage.tasks import run_daily_job_task
print(run_daily_job_task.delay(job="dunning", tenant_id={tenant}, run_date="{day}").id)
"""
SWEEP = "from dunning.services.mail import deliver_due; print(deliver_due())"
# Issued 2 March, due 1 April: the consultant's reminder, the first and second reminders,
# then the formal notice on 1 May (30 days after the due date, 15 after the second).
EVE_DAYS = ["2026-03-29", "2026-04-02", "2026-04-16"]
DAY = "2026-05-01"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=60)
    parser.add_argument("--chunk", type=int, default=5)
    parser.add_argument("--port", type=int, default=5439)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--settle", type=int, default=90, help="seconds without change")
    parser.add_argument("--keep", action="store_true", help="keep the cluster's folder")
    args = parser.parse_args()

    worker = None
    results = {}
    with private_cluster(
        port=args.port,
        redis_url=args.redis_url,
        keep=args.keep,
        DUNNING_CHUNK_CLIENTS=str(args.chunk),
    ) as (cluster, env):
        work, media = cluster.work, cluster.work / "media"
        url = f"127.0.0.1:{args.port}/portage"
        tenant = int(
            run(
                [*MANAGE, "shell", "-c", SEED.format(clients=args.clients)], env=env, cwd=ROOT
            ).stdout.split()[-1]
        )
        for day in EVE_DAYS:
            run([*MANAGE, "run_dunning", "--date", day], env=env, cwd=ROOT)
        try:
            db = psycopg.connect(
                f"postgresql://portage_platform:portage_platform@{url}", autocommit=True
            )

            def scalar(query):
                nonlocal db
                for _ in range(30):
                    try:
                        return db.execute(query).fetchone()[0]
                    except psycopg.OperationalError:
                        time.sleep(1)
                        db = psycopg.connect(
                            f"postgresql://portage_platform:portage_platform@{url}", autocommit=True
                        )
                raise RuntimeError("the cluster does not answer")

            on_day = f"FROM dunning_action WHERE performed_on = '{DAY}'"
            with (work / "worker.log").open("w") as log:
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
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            time.sleep(8)
            started = time.monotonic()
            run([*MANAGE, "shell", "-c", ENQUEUE.format(tenant=tenant, day=DAY)], env=env, cwd=ROOT)
            while scalar(f"SELECT count(*) {on_day}") == 0:
                if time.monotonic() - started > 300:
                    raise RuntimeError("no chunk committed in 5 minutes")
                time.sleep(0.05)
            results["actions when PostgreSQL was restarted"] = scalar(f"SELECT count(*) {on_day}")
            restart = time.monotonic()
            cluster.restart()
            results["restart took (s)"] = round(time.monotonic() - restart, 1)
            last, stable_since = None, time.monotonic()
            while time.monotonic() - stable_since < args.settle:
                count = scalar(f"SELECT count(*) {on_day}")
                if count != last:
                    last, stable_since, settled_at = count, time.monotonic(), time.monotonic()
                time.sleep(1)
            results["batch settled after (s)"] = round(settled_at - started, 1)
            results["actions on the day"] = last
            results["invoices"] = 2 * args.clients
            results["(invoice, step) performed twice"] = scalar(
                f"SELECT count(*) FROM (SELECT 1 {on_day} GROUP BY invoice_id, step_id "
                "HAVING count(*) > 1) twice"
            )
            results["formal notices without their letter"] = scalar(
                f"SELECT count(*) {on_day} AND kind = 'formal_notice' AND letter_id IS NULL"
            )
            letters = db.execute(
                "SELECT pdf, pdf_sha256 FROM dunning_letter WHERE letter_date = %s", [DAY]
            ).fetchall()
            results["letters"] = len(letters)
            results["letters without a PDF or whose PDF does not match its SHA-256"] = sum(
                1
                for pdf, sha in letters
                if not pdf
                or not (media / pdf).exists()
                or hashlib.sha256((media / pdf).read_bytes()).hexdigest() != sha
            )
            kept = {pdf for pdf, _ in letters}
            on_disk = {
                str(path.relative_to(media))
                for path in media.glob("dunning/letters/**/*")
                if path.is_file()
            }
            results["PDF files of rolled-back letters left on disk"] = len(
                on_disk
                - kept
                - {row[0] for row in db.execute("SELECT pdf FROM dunning_letter").fetchall()}
            )
            results["messages of the day"] = scalar(
                f"SELECT count(*) FROM dunning_message WHERE step_day = '{DAY}'"
            )
            results["messages sent more than once"] = scalar(
                f"SELECT count(*) FROM dunning_message WHERE step_day = '{DAY}' AND attempts > 1"
            )
            not_sent = (
                f"SELECT count(*) FROM dunning_message WHERE step_day = '{DAY}' "
                "AND status <> 'sent'"
            )
            results["messages left queued (a send cut by the restart)"] = scalar(not_sent)
            run([*MANAGE, "shell", "-c", SWEEP], env=env, cwd=ROOT)
            results["messages not sent after the 5-minute sweep (deliver_due)"] = scalar(not_sent)
            worker_log = (work / "worker.log").read_text()
            results["chunk tasks failed for good (worker log)"] = worker_log.count(
                "raised unexpected"
            )
            results["tasks retried (worker log)"] = worker_log.count(" retry: Retry in")
            results["chunk tasks succeeded (worker log)"] = len(
                [
                    line
                    for line in worker_log.splitlines()
                    if "run_dunning_chunk[" in line and " succeeded in " in line
                ]
            )
            catch_up = run([*MANAGE, "run_dunning", "--date", DAY], env=env, cwd=ROOT).stdout
            results["catch-up run of the same day"] = catch_up.strip().replace("|", "/")
        finally:
            if worker:
                worker.terminate()
                worker.wait(timeout=60)
    print(f"| measure ({args.clients} clients, chunks of {args.chunk}) | value |")
    print("| --- | --- |")
    for name, value in results.items():
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
