"""Real Celery workers for the reliability tests: a solo-pool process on the test database
and the test broker, with `killer.py` loaded, answering a ping before the test goes on."""

import os
import subprocess
import sys
import time

import pytest
from celery import current_app
from django.conf import settings

from portage.tenancy import PLATFORM_DB
from tests.conftest import database_url

VISIBILITY_TIMEOUT = 2  # seconds; an hour in production


def start_worker(name, mail_dir, **extra_env):
    """A worker named `name`, writing its emails into `mail_dir`; `extra_env` arms the
    killer or sets a setting (CELERY_VISIBILITY_TIMEOUT is VISIBILITY_TIMEOUT unless given)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.reliability.worker_settings",
        "DATABASE_URL": database_url("default"),
        "DATABASE_PLATFORM_URL": database_url(PLATFORM_DB),
        "TEST_REDIS_URL": settings.CELERY_BROKER_URL,
        "RELIABILITY_MAIL_DIR": str(mail_dir),
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
        **extra_env,
    }
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "celery", "-A", "portage", "worker"),
            *("--pool", "solo", "--loglevel", "warning", "--without-mingle"),
            *("--include", "tests.reliability.killer", "--hostname", f"{name}@%h"),
        ],
        env=env,
        cwd=settings.BASE_DIR,
    )
    deadline = time.monotonic() + 60
    while not current_app.control.ping(destination=[f"{name}@{os.uname().nodename}"], timeout=0.5):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the Celery worker {name} did not start")
    return process
