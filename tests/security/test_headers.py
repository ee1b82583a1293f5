"""Sessions and headers: a Content-Security-Policy that runs no inline script, secure
cookies and HSTS in production, CSRF on every form post. (`check --deploy` is
tests/portage/test_settings.py; sign-in lockout and TOTP are tests/portage/test_signin.py.)"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from portage.permissions import Role
from portage.tenancy import tenant_context
from tests.factories import PASSWORD, make_member
from tests.portage.test_settings import PRODUCTION_ENV

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# Emails and PDFs are not pages: no browser applies the policy to them.
NOT_PAGES = ("email/", "pdf/")


def policy(response):
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *values = part.split()
        directives[name] = set(values)
    return directives


def test_pages_carry_a_policy_that_runs_scripts_from_our_static_files_only(signed_in, admin_a):
    response = signed_in(admin_a).get(reverse("dashboard"))
    directives = policy(response)
    assert directives["script-src"] == {"'self'"}
    assert directives["style-src"] == {"'self'"}
    assert directives["frame-ancestors"] == {"'none'"}
    assert directives["object-src"] == {"'none'"}
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_sign_in_page_carries_the_policy_too(client):
    assert "'unsafe-inline'" not in client.get(reverse("account_login"))["Content-Security-Policy"]


@pytest.mark.parametrize(
    "template",
    sorted(p for p in TEMPLATES.rglob("*.html") if not any(part in str(p) for part in NOT_PAGES)),
    ids=lambda path: str(path.relative_to(TEMPLATES)),
)
def test_no_page_template_has_an_inline_script_handler_or_style(template):
    relative = str(template.relative_to(TEMPLATES))
    html = template.read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), relative
    assert not re.search(r"\son[a-z]+\s*=", html), relative
    assert " style=" not in html and "<style" not in html, relative


def test_the_api_docs_load_their_init_script_from_a_url_not_inline(client):
    response = client.get(reverse("api_docs"))
    assert response.status_code == 200
    html = response.content.decode()
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts and all("src=" in attributes for attributes in scripts)
    assert "'unsafe-inline'" not in policy(response)["script-src"]
    init = re.search(r'<script src="([^"]*script=[^"]*)"', html).group(1).replace("&amp;", "&")
    script = client.get(init)
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


def test_a_form_post_without_the_csrf_token_is_refused(admin_a):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_a.user)
    response = client.post(reverse("member_invite"), {"email": "x@example.com", "role": "admin"})
    assert response.status_code == 403


def test_the_session_cookie_is_not_readable_by_scripts(client, tenant_a, member):
    consultant = member(tenant_a, Role.CONSULTANT)
    client.post(reverse("account_login"), {"login": consultant.user.email, "password": PASSWORD})
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


def production_settings(*names):
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {list(names)!r}}}, default=str))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, **PRODUCTION_ENV},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_production_sends_hsts_and_secure_cookies_only_over_https():
    values = production_settings(
        "SECURE_HSTS_SECONDS",
        "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "DEBUG",
    )
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SECURE_SSL_REDIRECT"] and values["SESSION_COOKIE_SECURE"]
    assert values["CSRF_COOKIE_SECURE"] and values["SESSION_COOKIE_HTTPONLY"]
    assert values["DEBUG"] is False


def test_an_email_shown_as_sent_keeps_its_inline_styles_but_runs_no_script(signed_in, tenant_a):
    from dunning.models import Message
    from tests.dunning.api_world import late_invoice

    late_invoice(tenant_a)
    with tenant_context(tenant_a):
        message = Message.objects.first()
    response = signed_in(make_member(tenant_a, Role.COLLECTOR)).get(
        reverse("dunning_message", args=[message.pk])
    )
    assert response.status_code == 200
    directives = policy(response)
    assert "'unsafe-inline'" in directives["style-src"]
    assert directives["script-src"] == {"'self'"}
