"""Settings: the production profile passes `check --deploy` with no warning."""

import os
import subprocess
import sys

from django.conf import settings

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "portage.settings.production",
    "DJANGO_SECRET_KEY": "k" * 20 + "Zq9!xV2#mR7$pL4^wN8&tB1*yC6(hJ3)" + "s" * 10,
    "DJANGO_ALLOWED_HOSTS": "portage.example.com",
}

TEST_ONLY_ENV = {"DJANGO_ALLOW_ASYNC_UNSAFE"}


def manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        # As a deployment would run: without what the test session set for itself (the
        # browser journeys allow the ORM inside Playwright's event loop).
        env={
            **{name: value for name, value in os.environ.items() if name not in TEST_ONLY_ENV},
            **env,
        },
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_production_profile_passes_check_deploy_with_no_warning():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_production_profile_refuses_to_start_without_a_secret_key():
    env = {**PRODUCTION_ENV, "DJANGO_SECRET_KEY": ""}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_a_malformed_boolean_is_refused_with_its_name():
    result = manage("check", env={"DJANGO_DEBUG": "maybe"})
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be true or false" in result.stderr
