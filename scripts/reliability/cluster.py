"""A private PostgreSQL cluster for the reliability scripts: initdb in a temporary folder,
run as the `postgres` OS user on its own port, with the application's roles and database
created and migrated. Never the shared server: a script may restart or stop this one."""

import os
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
PYTHON = str(ROOT / ".venv" / "bin" / "python")
MANAGE = [PYTHON, str(ROOT / "manage.py")]


def run(command, **kwargs):
    return subprocess.run(command, check=True, text=True, capture_output=True, **kwargs)  # noqa: S603


def as_postgres(*command):
    return run(["runuser", "-u", "postgres", "--", *map(str, command)])


class Cluster:
    def __init__(self, work, port):
        self.work, self.port = work, port
        self.data = work / "data"
        self.options = f"-p {port} -k {work} -c listen_addresses=127.0.0.1"

    def pg_ctl(self, *command):
        log = self.work / "postgres.log"
        as_postgres(PG_BIN / "pg_ctl", "-D", self.data, "-w", "-l", log, *command)

    def start(self):
        self.pg_ctl("-o", self.options, "start")

    def restart(self):
        self.pg_ctl("-o", self.options, "-m", "fast", "restart")

    def stop(self):
        self.pg_ctl("-m", "fast", "stop")

    def url(self, role, database="portage"):
        return f"postgres://{role}:{role}@127.0.0.1:{self.port}/{database}"


@contextmanager
def private_cluster(*, port, redis_url, keep=False, **extra_env):
    """Yields (cluster, env): env runs manage.py, workers and gunicorn on the cluster."""
    work = Path(tempfile.mkdtemp(prefix="portage-reliability-"))
    shutil.chown(work, "postgres")
    (work / "media").mkdir()
    as_postgres(PG_BIN / "initdb", "-D", work / "data", "-A", "trust", "-U", "postgres")
    cluster = Cluster(work, port)
    cluster.start()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portage.settings.base",
        "DJANGO_DEBUG": "0",
        "DATABASE_URL": cluster.url("portage_app"),
        "DATABASE_PLATFORM_URL": cluster.url("portage_platform"),
        "DATABASE_ADMIN_URL": f"postgres://postgres@127.0.0.1:{port}/postgres",
        "REDIS_URL": redis_url,
        "CACHE_URL": redis_url,
        "MEDIA_ROOT": str(work / "media"),
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "LOG_LEVEL": "WARNING",
        **extra_env,
    }
    try:
        run([*MANAGE, "setup_database"], env=env, cwd=ROOT)
        run([*MANAGE, "migrate", "--no-input"], env=env, cwd=ROOT)
        run([PYTHON, "-c", f"import redis; redis.Redis.from_url('{redis_url}').flushdb()"])
        yield cluster, env
    finally:
        try:
            cluster.stop()
        except subprocess.CalledProcessError as error:
            print(error.stderr)
        if keep:
            print(f"folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
