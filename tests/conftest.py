import os
import subprocess
import sys
import time

import pytest
from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db import connections

from portage.db import connect_as
from portage.permissions import Role
from portage.tenancy import PLATFORM_DB, tenant_context
from tests.factories import TenantFactory, make_member

# The kinds of test that take seconds each; `-m "not slow"` leaves them out (README, Tests).
SLOW_KINDS = ("demo", "schemathesis", "worker", "browser", "property")


def pytest_collection_modifyitems(items):
    for item in items:
        if any(item.get_closest_marker(kind) for kind in SLOW_KINDS):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """The test database is created and migrated by the owner of the tables, as in production."""
    connect_as(settings.DATABASE_OWNER_USER, settings.DATABASE_OWNER_PASSWORD)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Then every test runs as the application's role, under row-level security."""
    app = settings.DATABASES["default"]
    with django_db_blocker.unblock():
        with connections["default"].cursor() as cursor:
            # Transactional tests reset the tables with TRUNCATE, which the application's
            # role may not do outside the test database.
            cursor.execute(f'GRANT TRUNCATE ON ALL TABLES IN SCHEMA public TO "{app["USER"]}"')
        connect_as(app["USER"], app["PASSWORD"])
    yield
    with django_db_blocker.unblock():
        connect_as(settings.DATABASE_OWNER_USER, settings.DATABASE_OWNER_PASSWORD)


@pytest.fixture(autouse=True)
def _clear_cache():
    """Start each test with an empty cache (Redis). Sign-in's rate limits and used TOTP codes
    are rows in the database, emptied with it."""
    cache.clear()
    yield


@pytest.fixture
def tenant_a(db):
    return TenantFactory(legal_name="Alpha Portage")


@pytest.fixture
def tenant_b(db):
    return TenantFactory(legal_name="Beta Portage")


@pytest.fixture
def in_tenant():
    """`with in_tenant(tenant):` runs the block as that tenant (both locks set)."""
    return tenant_context


@pytest.fixture
def member(db):
    """`member(tenant, role, **user_fields)`: a user with that role in that tenant."""
    return make_member


@pytest.fixture
def admin_a(tenant_a):
    return make_member(tenant_a, Role.ADMIN)


@pytest.fixture
def admin_b(tenant_b):
    return make_member(tenant_b, Role.ADMIN)


@pytest.fixture
def collector(tenant_a):
    """A collector of tenant_a (back office: worklist, payments, cases, claims)."""
    return make_member(tenant_a, Role.COLLECTOR)


@pytest.fixture
def signed_in(client):
    """`signed_in(membership)`: the test client, signed in as that member."""

    def sign_in(membership):
        client.force_login(membership.user)
        return client

    return sign_in


def database_url(alias):
    config = connections[alias].settings_dict
    return (
        f"postgres://{config['USER']}:{config['PASSWORD']}@{config['HOST'] or '127.0.0.1'}"
        f":{config['PORT'] or 5432}/{config['NAME']}"
    )


@pytest.fixture
def worker():
    """A worker process on the test database and the test broker, until the test ends."""
    current_app.control.purge()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portage.settings.test",
        "DATABASE_URL": database_url("default"),
        "DATABASE_PLATFORM_URL": database_url(PLATFORM_DB),
        "TEST_REDIS_URL": settings.CELERY_BROKER_URL,
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portage",
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "warning",
            "--include",
            "tests.portage.jobs,tests.portage.connection_jobs",
            "--hostname",
            "test@%h",
        ],
        env=env,
        cwd=settings.BASE_DIR,
    )
    deadline = time.monotonic() + 60
    while not current_app.control.ping(timeout=0.5):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("the Celery worker did not start")
    yield process
    process.terminate()
    process.wait(timeout=30)
