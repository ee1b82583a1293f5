"""The Django admin and the sign-in pages (allauth) get the same Content-Security-Policy as
the product's pages: scripts and styles from our own static files only, nothing inline.
A headless chromium found them clean, except django-celery-beat's periodic task form, whose
inline script now lives in static/js/admin_periodictask.js."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from portage.permissions import Role
from portage.tenancy import PLATFORM_DB
from tests.factories import PASSWORD, UserFactory, make_member, totp_secret_for
from tests.security.test_headers import policy

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", PLATFORM_DB])

ADMIN_PAGES = [
    "admin:index",
    "admin:portage_tenant_changelist",
    "admin:portage_tenant_add",
    "admin:portage_membership_changelist",
    "admin:portage_user_changelist",
    "admin:portage_auditentry_changelist",
    "admin:django_celery_beat_periodictask_add",
    "admin:django_celery_beat_crontabschedule_add",
    "admin:password_change",
]


def assert_strict(response):
    assert response.status_code == 200, response
    directives = policy(response)
    assert directives["script-src"] == {"'self'"}
    assert directives["style-src"] == {"'self'"}
    assert directives["object-src"] == {"'none'"}
    assert directives["frame-ancestors"] == {"'none'"}


def inline_scripts(response):
    """The <script> elements that run code written in the page (JSON data does not run)."""
    return [
        attributes
        for attributes in re.findall(r"<script([^>]*)>", response.content.decode())
        if "src=" not in attributes and "application/json" not in attributes
    ]


@pytest.fixture
def operator(client):
    user = UserFactory(is_staff=True, is_superuser=True)
    totp_secret_for(user)
    client.force_login(user)
    return client


@pytest.mark.parametrize("name", ADMIN_PAGES)
def test_the_admin_pages_carry_the_strict_policy_and_run_no_inline_script(operator, name):
    response = operator.get(reverse(name))
    assert_strict(response)
    assert inline_scripts(response) == []
    assert " style=" not in response.content.decode()


def test_the_periodic_task_form_shows_the_crontab_in_words_from_a_static_file(operator):
    response = operator.get(reverse("admin:django_celery_beat_periodictask_add"))
    html = response.content.decode()
    assert 'id="readable-crontabs" type="application/json"' in html
    assert "js/admin_periodictask.js" in html


@pytest.mark.parametrize(
    "name",
    ["account_login", "account_signup", "account_reset_password", "account_reset_password_done"],
)
def test_the_sign_in_and_password_reset_pages_carry_the_strict_policy(client, name):
    response = client.get(reverse(name))
    assert_strict(response)
    assert inline_scripts(response) == []


def test_the_second_factor_pages_carry_the_strict_policy(tenant_a):
    # An administrator signs in with a password and is asked for the code.
    admin = make_member(tenant_a, Role.ADMIN).user
    browser = Client()
    signed = browser.post(reverse("account_login"), {"login": admin.email, "password": PASSWORD})
    assert signed["Location"] == reverse("mfa_authenticate")
    assert_strict(browser.get(reverse("mfa_authenticate")))
    # A consultant sets TOTP up: asked for the password again, then the page with the QR code.
    consultant = make_member(tenant_a, Role.CONSULTANT).user
    browser = Client()
    browser.post(reverse("account_login"), {"login": consultant.email, "password": PASSWORD})
    asked = browser.get(reverse("mfa_activate_totp"))
    assert asked["Location"].startswith(reverse("account_reauthenticate"))
    assert_strict(browser.get(asked["Location"]))
    browser.post(asked["Location"], {"password": PASSWORD})
    response = browser.get(reverse("mfa_activate_totp"))
    assert_strict(response)
    assert inline_scripts(response) == []
    assert_strict(browser.get(reverse("mfa_index")))
