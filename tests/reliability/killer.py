"""Loaded by the worker of `test_worker_killed.py` (`--include`): the worker SIGKILLs its own
process in the middle of the Nth dunning chunk it runs, once one group of steps is written
and before the chunk's transaction commits. A kill from outside would land anywhere; this
one lands at the worst moment, every time."""

import os
import signal

from celery.signals import task_prerun

KILL_IN_CHUNK = int(os.environ.get("RELIABILITY_KILL_IN_CHUNK") or 0)
_state = {"chunks": 0, "doomed": False, "patched": False}


@task_prerun.connect
def _arm(sender=None, **kwargs):
    if not KILL_IN_CHUNK or _state["patched"]:
        return
    import dunning.services.ladder as ladder
    import dunning.services.perform as perform

    run_ladder, perform_group = ladder.run_ladder, perform.perform_group

    def counting_run_ladder(**kwargs):
        _state["chunks"] += 1
        _state["doomed"] = _state["chunks"] == KILL_IN_CHUNK
        return run_ladder(**kwargs)

    def dying_perform_group(*args, **kwargs):
        result = perform_group(*args, **kwargs)
        if _state["doomed"]:
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    ladder.run_ladder = counting_run_ladder
    perform.perform_group = dying_perform_group
    _state["patched"] = True
