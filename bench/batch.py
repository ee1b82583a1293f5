"""Benchmark 1: one day of the daily batch (dunning then insurance) for every company.

For each size: a fresh database, the companies generated in bulk (`bench.world`), then the
day run as `run_dunning` and `run_insurance` run it (`run_job_for_tenant`, one company after
the other), emails to Django's dummy backend, with or without the formal notices' PDFs.
The floor is plain SQL run in the same process right after: one INSERT ... SELECT that
picks the same candidate invoices (open, due within the ladder's reach) and writes as many
rows as the day wrote actions.
"""

import math
from contextlib import contextmanager
from datetime import date

from bench.common import QueryCount, analyze, fresh_database, header, row, timer

FLOOR_SQL = """
CREATE TEMP TABLE bench_floor_action (
    tenant_id bigint, invoice_id bigint, step int, performed_on date, balance numeric(12, 2)
) ON COMMIT DROP;
INSERT INTO bench_floor_action
SELECT i.tenant_id, i.id, g, %(today)s, i.total_ttc - i.paid_amount - i.credited_amount
FROM invoices_invoice i CROSS JOIN generate_series(1, %(repeat)s) g
WHERE i.kind = 'invoice' AND i.status IN ('issued', 'partially_paid')
  AND i.due_date <= %(reach)s
LIMIT %(rows)s;
"""


@contextmanager
def pdfs(enabled):
    """Without PDFs, the formal notice's file is a constant: the rest of the letter stays."""
    from dunning.services import letters

    render = letters.render_letter_pdf
    if not enabled:
        letters.render_letter_pdf = lambda letter: b"%PDF-1.7 bench"
    try:
        yield
    finally:
        letters.render_letter_pdf = render


def candidates(today, reach_days):
    from django.db import connections

    with connections["platform"].cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM invoices_invoice WHERE kind = 'invoice' "
            "AND status IN ('issued', 'partially_paid') AND due_date <= %s::date + %s",
            [today, reach_days],
        )
        return cursor.fetchone()[0]


def written(table):
    from django.db import connections

    with connections["platform"].cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (a fixed table name)
        return cursor.fetchone()[0]


def floor(today, reach_days, rows, invoices):
    from django.db import connections, transaction

    with transaction.atomic(using="platform"), connections["platform"].cursor() as cursor:
        with timer() as elapsed:
            cursor.execute(
                FLOOR_SQL,
                {
                    "today": today,
                    "reach": date.fromordinal(today.toordinal() + reach_days),
                    "repeat": max(1, math.ceil(rows / max(invoices, 1))),
                    "rows": rows,
                },
            )
        cursor.execute("SELECT count(*) FROM bench_floor_action")
        inserted = cursor.fetchone()[0]
    return elapsed(), inserted


def run_day(tenants, today):
    """The day, company after company; returns seconds and queries, in all and per job."""
    from portage.batch import run_job_for_tenant

    spent = {"dunning": [0.0, 0], "insurance": [0.0, 0]}
    for tenant in tenants:
        for job in spent:
            with QueryCount() as queries, timer() as elapsed:
                run_job_for_tenant(job, tenant=tenant, today=today)
            spent[job][0] += elapsed()
            spent[job][1] += queries.count
    return sum(s for s, _q in spent.values()), sum(q for _s, q in spent.values()), spent


def one_size(*, tenants, per_tenant, today, with_pdfs):
    from bench import world
    from dunning.defaults import DEFAULT_STEPS

    fresh_database()
    with timer() as generation:
        made = world.build(
            tenants=tenants,
            invoices_per_tenant=per_tenant,
            today=today,
            clients_per_tenant=max(10, per_tenant // 40),
        )
    analyze()
    total = tenants * per_tenant
    print(f"  generated {total} invoices in {generation():.1f} s", flush=True)
    reach = max(-step["days_from_due"] for step in DEFAULT_STEPS)
    considered = candidates(today, reach)
    with pdfs(with_pdfs):
        seconds, queries, spent = run_day(made, today)
    actions = written("dunning_action")
    letters = written("dunning_letter")
    messages = written("dunning_message")
    claims = written("insurance_claiminvoice")
    declarations = written("insurance_declaration")
    floor_seconds, floor_rows = floor(today, reach, actions, considered)
    return {
        "invoices": total,
        "candidates": considered,
        "seconds": seconds,
        "queries": queries,
        "spent": spent,
        "actions": actions,
        "letters": letters,
        "messages": messages,
        "declarations": declarations,
        "claimed": claims,
        "floor_seconds": floor_seconds,
        "floor_rows": floor_rows,
    }


def main(sizes, *, tenants=20, with_pdfs=True):
    today = date.fromisoformat("2026-03-02")
    header(
        "invoices",
        "PDFs",
        "overdue/candidates",
        "actions",
        "letters",
        "emails",
        "declarations",
        "claimed",
        "day (s)",
        "invoices/s",
        "floor (s)",
        "ratio",
        "queries",
        "queries / 1,000 invoices",
    )
    results = []
    for size in sizes:
        result = one_size(
            tenants=tenants, per_tenant=size // tenants, today=today, with_pdfs=with_pdfs
        )
        results.append(result)
        row(
            f"{result['invoices']:,}",
            "yes" if with_pdfs else "no",
            f"{result['candidates']:,}",
            f"{result['actions']:,}",
            f"{result['letters']:,}",
            f"{result['messages']:,}",
            f"{result['declarations']:,}",
            f"{result['claimed']:,}",
            f"{result['seconds']:.1f}",
            f"{result['invoices'] / result['seconds']:.0f}",
            f"{result['floor_seconds']:.3f}",
            f"{result['seconds'] / result['floor_seconds']:.0f}×",
            f"{result['queries']:,}",
            f"{1000 * result['queries'] / result['invoices']:.0f}",
        )
    print()
    header("invoices", "dunning (s)", "dunning queries", "insurance (s)", "insurance queries")
    for result in results:
        dunning, insurance = result["spent"]["dunning"], result["spent"]["insurance"]
        row(
            f"{result['invoices']:,}",
            f"{dunning[0]:.1f}",
            f"{dunning[1]:,}",
            f"{insurance[0]:.1f}",
            f"{insurance[1]:,}",
        )
    if len(results) > 1:
        first, last = results[0], results[-1]
        per_invoice = (last["seconds"] - first["seconds"]) / (last["invoices"] - first["invoices"])
        fixed = first["seconds"] - per_invoice * first["invoices"]
        print(
            f"\nlinear fit: {fixed:.1f} s + {per_invoice * 1000:.2f} s per 1,000 invoices; "
            f"200,000 invoices -> {fixed + per_invoice * 200_000:.0f} s",
            flush=True,
        )
    return results
