"""`docker compose up` runs db, redis, web, worker and beat. No Docker engine runs here, so
the file is checked for what each service must be."""

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def command(service):
    value = service["command"]
    return value if isinstance(value, str) else " ".join(value)


def test_it_has_the_five_services(compose):
    assert set(compose["services"]) == {"db", "redis", "web", "worker", "beat"}


def test_postgres_16_and_redis_with_health_checks(compose):
    services = compose["services"]
    assert services["db"]["image"] == "postgres:16"
    assert services["redis"]["image"].startswith("redis:")
    assert "pg_isready" in services["db"]["healthcheck"]["test"]
    assert "ping" in services["redis"]["healthcheck"]["test"]


def test_web_prepares_the_database_then_serves_with_gunicorn(compose):
    web = command(compose["services"]["web"])
    steps = ["setup_database", "migrate", "gunicorn portage.wsgi:application"]
    assert all(step in web for step in steps)
    assert [web.index(step) for step in steps] == sorted(web.index(step) for step in steps)
    assert "8000:8000" in compose["services"]["web"]["ports"]


def test_worker_and_beat_run_celery_once_the_schema_exists(compose):
    services = compose["services"]
    assert command(services["worker"]).startswith("celery -A portage worker")
    assert command(services["beat"]).startswith("celery -A portage beat")
    for name in ("worker", "beat"):
        assert services[name]["depends_on"]["web"]["condition"] == "service_healthy"


def test_the_app_runs_as_the_restricted_role_and_migrates_as_the_owner(compose):
    for name in ("web", "worker", "beat"):
        env = compose["services"][name]["environment"]
        assert env["DJANGO_SETTINGS_MODULE"] == "portage.settings.production"
        assert env["DATABASE_URL"].startswith("postgres://portage_app:")
        assert env["DATABASE_PLATFORM_URL"].startswith("postgres://portage_platform:")
        assert env["DATABASE_OWNER_USER"] == "portage_owner"
        assert env["REDIS_URL"] == "redis://redis:6379/0"
    assert "DATABASE_ADMIN_URL" not in compose["services"]["worker"]["environment"]


def test_every_app_service_builds_the_projects_dockerfile(compose):
    assert (ROOT / "Dockerfile").is_file()
    for name in ("web", "worker", "beat"):
        assert compose["services"][name]["build"] == "."
