"""Loaded by the workers of the reliability tests (`--include`): the worker SIGKILLs its own
process at the worst moment, every time. A kill from outside would land anywhere.

- `RELIABILITY_KILL_IN_CHUNK=N` (`test_worker_killed.py`): in the middle of the Nth dunning
  chunk it runs, once its groups of steps are written and before the chunk's transaction
  commits.
- `RELIABILITY_KILL_AFTER_PLATFORM=submit_invoice:N` or `send_status:N`
  (`test_platform_worker_killed.py`): right after the plateforme agréée answered the Nth
  invoice deposit (or 212) this worker sent, the flow kept there and its receipt in hand,
  before the task's transaction commits what the platform answered.
"""

import os
import signal

from celery.signals import task_prerun

KILL_IN_CHUNK = int(os.environ.get("RELIABILITY_KILL_IN_CHUNK") or 0)
KILL_AFTER_PLATFORM = os.environ.get("RELIABILITY_KILL_AFTER_PLATFORM", "")
_state = {"chunks": 0, "doomed": False, "answers": 0, "patched": False}


def _die():
    os.kill(os.getpid(), signal.SIGKILL)


@task_prerun.connect
def _arm(sender=None, **kwargs):
    if _state["patched"]:
        return
    if KILL_IN_CHUNK:
        _arm_in_chunk()
    if KILL_AFTER_PLATFORM:
        _arm_after_platform()
    _state["patched"] = True


def _arm_in_chunk():
    import dunning.services.ladder as ladder
    import dunning.services.perform as perform

    run_ladder, write_groups = ladder.run_ladder, perform._write_groups

    def counting_run_ladder(**kwargs):
        _state["chunks"] += 1
        _state["doomed"] = _state["chunks"] == KILL_IN_CHUNK
        return run_ladder(**kwargs)

    def dying_write_groups(*args, **kwargs):
        result = write_groups(*args, **kwargs)
        if _state["doomed"]:
            _die()
        return result

    ladder.run_ladder = counting_run_ladder
    perform._write_groups = dying_write_groups


def _arm_after_platform():
    from einvoicing.connectors.http import HttpConnector

    method, _, nth = KILL_AFTER_PLATFORM.partition(":")
    send = getattr(HttpConnector, method)

    def send_then_die(self, *args, **kwargs):
        receipt = send(self, *args, **kwargs)
        _state["answers"] += 1
        if _state["answers"] == int(nth):
            _die()
        return receipt

    setattr(HttpConnector, method, send_then_die)
