"""Browser journeys: Playwright drives Debian's chromium, headless, against the live server.

Nothing is downloaded at run time: the browser is the system's `chromium`. Each journey
saves its screenshots under the test's `tmp_path` (the folder is printed).
"""

import os
import shutil
import time
from datetime import timedelta

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from playwright.sync_api import sync_playwright

from einvoicing import demo as einvoicing_demo
from insurance import demo as insurance_demo
from invoices import demo as billing_demo
from portage import demo
from portage.batch import paris_today, run_job_for_tenant
from portage.models import Tenant, User
from portage.tenancy import PLATFORM_DB
from tests.factories import totp_secret_for

# Another chromium build (e.g. Ubuntu's snap) can be named with CHROMIUM=/path/to/chromium.
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
PASSWORD = "portage-browser-2026"

# The live server serves the pages from another thread: it must see the journey's data
# committed, and the API keys are found through the platform connection.
journey = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, databases=["default", PLATFORM_DB]),
]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keeps each phase's report on the test, for `shots` to see whether the journey failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip("chromium is not installed (scripts/lib.sh prepare installs it)")
    # Playwright's sync API keeps an event loop running in the test's thread; the ORM
    # calls the journeys make between two clicks are still plain synchronous calls.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield browser
        browser.close()
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url,
        locale="fr-FR",
        timezone_id="Europe/Paris",
        viewport={"width": 1280, "height": 900},
        accept_downloads=True,
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def shots(page, tmp_path, request):
    """`shots("name")` saves a full-page screenshot of where the journey is."""
    folder = tmp_path / "screenshots"
    folder.mkdir()
    count = 0

    def shot(name):
        nonlocal count
        count += 1
        page.screenshot(path=folder / f"{count:02d}-{name}.png", full_page=True)
        # Wide tables scroll inside their card; the page itself never scrolls sideways.
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name}: the page is {overflow} px wider than the window"

    yield shot
    failed = getattr(request.node, "report_call", None)
    if failed is not None and failed.failed:
        page.screenshot(path=folder / "failure.png", full_page=True)
    print(f"\n{request.node.name}: screenshots in {folder}")


def totp_code(secret):
    """The code an authenticator app shows now. Each journey signs in once per secret, so no
    code is given twice; near the end of a 30-second window it waits for the next one, as a
    person would, since allauth accepts no code from another window."""
    left = 30 - time.time() % 30
    if left < 5:
        time.sleep(left)
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def seeded_world(*, einvoicing=False):
    """One demo company as `seed_demo` builds it (users of each role, consultants, clients,
    invoices at every stage, a credit insurance policy with limits, a bank statement
    waiting), with the daily batches run on four days of the last 45 instead of the
    205-day replay: the overdue invoices stand at several steps of the ladder. With
    `einvoicing`, the company issues through its plateforme agréée, as in `seed_demo`:
    invoices deposited and approved, one refused, one disputed, their 212s sent."""
    today = paris_today()
    demo.seed(password=PASSWORD)
    tenant = Tenant.objects.get(slug="horizon")
    if einvoicing:
        einvoicing_demo.account_ensure(tenant=tenant)
    billing_demo.seed(tenant=tenant, today=today, password=PASSWORD)
    insurance_demo.seed(tenant=tenant, today=today)
    if einvoicing:
        einvoicing_demo.seed(tenant=tenant, today=today)
    for back in (45, 30, 15, 0):
        for job in ("dunning", "insurance"):
            run_job_for_tenant(job, tenant=tenant, today=today - timedelta(days=back))
    secrets = {
        role: totp_secret_for(User.objects.get(email=f"{role}@horizon.example"))
        for role in ("admin", "recouvrement")
    }
    return {"tenant": tenant, "today": today, "totp": secrets}


@pytest.fixture
def world(live_server):
    return seeded_world()


@pytest.fixture
def einvoicing_world(live_server):
    return seeded_world(einvoicing=True)
