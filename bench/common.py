"""What every benchmark shares: Django set up on the bench database, a fresh database per
size (copied from a migrated template), a query counter and the report's lines."""

import contextlib
import os
import statistics
import time

import django

TODAY_ISO = "2026-03-02"


def setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portage.settings.base")
    django.setup()


def fresh_database():
    """Drops the bench database and copies it again from its migrated template (seconds,
    where `migrate` takes a minute). `scripts/bench` made the template."""
    import psycopg
    from django.conf import settings
    from django.db import connections
    from psycopg import sql

    connections.close_all()
    name = settings.DATABASES["default"]["NAME"]
    with psycopg.connect(settings.DATABASE_ADMIN_URL, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {} OWNER {}").format(
                sql.Identifier(name),
                sql.Identifier(os.environ.get("BENCH_TEMPLATE", f"{name}_template")),
                sql.Identifier(settings.DATABASE_OWNER_USER),
            )
        )


def analyze():
    """What autovacuum would have done to freshly loaded tables."""
    import psycopg
    from django.conf import settings
    from psycopg.conninfo import make_conninfo

    name = settings.DATABASES["default"]["NAME"]
    with psycopg.connect(
        make_conninfo(settings.DATABASE_ADMIN_URL, dbname=name), autocommit=True
    ) as conn:
        conn.execute("VACUUM ANALYZE")


class QueryCount:
    """Counts the SQL statements every connection runs while it is active."""

    def __init__(self):
        self.count = 0
        self._stack = contextlib.ExitStack()

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)

    def __enter__(self):
        from django.db import connections

        for alias in connections:
            self._stack.enter_context(connections[alias].execute_wrapper(self))
        return self

    def __exit__(self, *exc):
        self._stack.close()


@contextlib.contextmanager
def timer():
    """`with timer() as t: ...` then `t()` is the elapsed seconds."""
    start = time.perf_counter()
    end = None

    def elapsed():
        return (end or time.perf_counter()) - start

    try:
        yield elapsed
    finally:
        end = time.perf_counter()


def percentile(samples, share):
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(share / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def median(samples):
    return statistics.median(samples)


def load_average():
    """The machine's load average (1, 5, 15 minutes), printed beside absolute times: on a
    shared machine they mean little without it."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} cores"


def row(*cells):
    print("| " + " | ".join(str(cell) for cell in cells) + " |", flush=True)


def header(*cells):
    row(*cells)
    row(*["---"] * len(cells))
