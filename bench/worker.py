"""Loaded into the Celery workers `bench day` starts (`--include bench.worker`): counts the
SQL statements of every task and tells the bench when each task ended.

Around each task, `bench.common.QueryCount` wraps every database connection of the worker
(`connection.execute_wrapper`, the wrapper Django calls for each statement a cursor runs);
when the task ends, its count and its end (wall clock, state, time it ran) go to the
broker's Redis in two hashes keyed by the task's id. The bench sums the counts of the
day's tasks and waits for their ends: the figures are exact and cost the worker one Redis
round trip per task.

With BENCH_NO_PDF set, a formal notice's file is a constant (as in `bench batch --no-pdf`).
"""

import os
import time

from celery.signals import task_postrun, task_prerun

from bench.common import QueryCount

QUERIES = "bench:day:queries"  # task id -> statements the task ran
ENDS = "bench:day:ends"  # task id -> "<unix time of its end> <state> <seconds it ran>"

_running = {}
_redis = []


def redis_client():
    if not _redis:
        import redis
        from django.conf import settings

        _redis.append(redis.Redis.from_url(settings.CELERY_BROKER_URL))
    return _redis[0]


@task_prerun.connect
def count_from_here(task_id=None, **kwargs):
    if os.environ.get("BENCH_NO_PDF"):
        from dunning.services import letters

        letters.render_letter_pdf = lambda letter: b"%PDF-1.7 bench"
    counter = QueryCount()
    counter.__enter__()
    _running[task_id] = (counter, time.time())


@task_postrun.connect
def report_count(task_id=None, state=None, **kwargs):
    counter, started = _running.pop(task_id, (None, None))
    if counter is None:
        return
    counter.__exit__(None, None, None)
    pipe = redis_client().pipeline()
    pipe.hincrby(QUERIES, task_id, counter.count)
    ended = time.time()
    pipe.hset(ENDS, task_id, f"{ended} {state} {ended - started}")
    pipe.execute()
