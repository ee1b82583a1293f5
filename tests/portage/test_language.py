"""French first, English available."""

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_pages_are_in_french_even_for_an_english_browser(client):
    page = client.get(reverse("account_login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert page["Content-Language"] == "fr"
    assert "Se connecter" in page.content.decode()


def test_a_user_who_chooses_english_gets_english(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    page = client.get(reverse("account_login"))
    assert page["Content-Language"] == "en"
    assert "Sign in" in page.content.decode()


def test_the_role_dashboard_speaks_french(signed_in, admin_a):
    page = signed_in(admin_a).get(reverse("dashboard")).content.decode()
    assert "Mise en place de la société" in page
    assert "Journal d'audit" in page
    assert "Getting the company ready" not in page
