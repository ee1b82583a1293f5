"""The API against its whole contract: schemathesis runs all its phases (the schema's
examples, coverage of each constraint's edges, fuzzing, stateful sequences following the
schema's links) with every check it has, against the running server, with a read-write key
of a company holding an object of every kind. No failure of any kind is accepted: no 5xx,
every status, content type, header and body as the schema documents it, every request the
schema forbids refused, every request it allows accepted or refused only as documented
(409, 412, 422: tests/portage/schemathesis.toml says why), no answer without the key.

Bounded: five examples per operation in the fuzzing phase, the coverage phase's own cases
(most of the run), a fixed seed: about 5,000 cases, some 90 s of CPU. The suite runs it
with DEBUG off (pytest-django's default, as in production); `-o django_debug_mode=true`
runs it with DEBUG on, `SCHEMATHESIS_MAX_EXAMPLES` raises the examples for a longer run by
hand and `SCHEMATHESIS_KEEP=<file>` keeps schemathesis's output."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from portage.api.auth import ApiKeyRateThrottle
from portage.tenancy import PLATFORM_DB
from tests.portage.test_api_schemathesis import company_with_data

pytestmark = [
    pytest.mark.schemathesis,
    pytest.mark.django_db(transaction=True, databases=["default", PLATFORM_DB]),
]

CONFIG = Path(__file__).with_name("schemathesis.toml")
PHASES = "examples,coverage,fuzzing,stateful"
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "5"))
# Far above the run's two minutes: only a hung server reaches it.
TIMEOUT_SECONDS = 900


def test_every_phase_and_every_check_pass(live_server, monkeypatch, tmp_path):
    # Generated calls come by the thousand: the per-key limit is not under test here.
    monkeypatch.setattr(ApiKeyRateThrottle, "THROTTLE_RATES", {"api": "1000000/min"})
    full_key, _ids = company_with_data()
    report = tmp_path / "report.json"
    command = [
        *(sys.executable, "-m", "schemathesis.cli", "--config-file", str(CONFIG), "run"),
        f"{live_server.url}/api/v1/schema/",
        *("--url", live_server.url),
        *("--header", f"Authorization: Bearer {full_key}"),
        *("--phases", PHASES),
        *("--checks", "all"),
        *("--max-examples", str(MAX_EXAMPLES)),
        *("--seed", "20261208"),
        *("--workers", "1"),
        *("--generation-database", "none"),
        "--continue-on-failure",
        "--no-color",
        *("--report", "json"),
        *("--report-json-path", str(report)),
        *("--report-dir", str(tmp_path)),
    ]
    # Run in the temporary folder: schemathesis keeps its crash files where it runs.
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
        cwd=tmp_path,
    )
    if os.environ.get("SCHEMATHESIS_KEEP"):
        Path(os.environ["SCHEMATHESIS_KEEP"]).write_text(done.stdout + done.stderr)
    summary = json.loads(report.read_text())
    ran = {name: phase["status"] for name, phase in summary["phases"].items()}
    assert set(ran) == set(PHASES.split(",")), ran
    assert "skipped" not in ran.values(), ran
    assert summary["operations"]["tested"] >= 60, summary["operations"]
    assert summary["test_cases"]["generated"] >= 1000, summary["test_cases"]
    assert not summary["failures"] and not summary["errors"], done.stdout[-30000:]
    assert done.returncode == 0, done.stdout[-30000:]
