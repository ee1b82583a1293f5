"""Sign-in with django-allauth: by email, verified, rate-limited, TOTP for admins and collectors."""

import re
import time

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, format_hotp_value, hotp_value
from django.core import mail
from django.urls import reverse

from portage.permissions import Role
from tests.factories import PASSWORD, UserFactory, make_member, totp_secret_for

pytestmark = pytest.mark.django_db


def totp_code(secret):
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def sign_in(client, email, password=PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


@pytest.mark.parametrize(
    ("role", "template"),
    [
        (Role.CONSULTANT, "consultants/home/no_profile.html"),
        (Role.ACCOUNTANT, "portage/home/accountant.html"),
    ],
)
def test_a_member_signs_in_by_email_and_lands_on_their_roles_page(client, tenant_a, role, template):
    membership = make_member(tenant_a, role)
    response = sign_in(client, membership.user.email.upper())
    assert response.status_code == 302
    page = client.get(response.url)
    assert page.status_code == 200
    assert template in [t.name for t in page.templates]


@pytest.mark.parametrize("role", [Role.ADMIN, Role.COLLECTOR])
def test_admins_and_collectors_without_totp_are_asked_to_set_it_up(client, tenant_a, role):
    membership = make_member(tenant_a, role, with_totp=False)
    sign_in(client, membership.user.email)
    for page in (reverse("dashboard"), reverse("company")):
        response = client.get(page)
        assert response.status_code == 302
        assert response.url.startswith(reverse("mfa_activate_totp"))


def test_setting_up_totp_opens_the_roles_page(client, tenant_a):
    membership = make_member(tenant_a, Role.ADMIN, with_totp=False)
    sign_in(client, membership.user.email)
    # Adding a second factor asks for the password once more (allauth's sudo mode).
    confirm = client.get(reverse("mfa_activate_totp"))
    assert confirm.url.startswith(reverse("account_reauthenticate"))
    back = client.post(confirm.url, {"password": PASSWORD})
    assert back.status_code == 302
    setup = client.get(reverse("mfa_activate_totp"))
    assert setup.status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=membership.user, type="totp").exists()
    page = client.get(reverse("dashboard"))
    assert page.status_code == 200
    assert "portage/home/admin.html" in [t.name for t in page.templates]


def test_after_totp_is_set_up_the_recovery_codes_page_continues_to_the_home_page(client, tenant_a):
    membership = make_member(tenant_a, Role.COLLECTOR, with_totp=False)
    sign_in(client, membership.user.email)
    client.post(client.get(reverse("mfa_activate_totp")).url, {"password": PASSWORD})
    client.get(reverse("mfa_activate_totp"))
    secret = client.session[SECRET_SESSION_KEY]
    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert response.url == reverse("mfa_view_recovery_codes")
    page = client.get(response.url).content.decode()
    assert re.search(rf'<a href="{reverse("dashboard")}"[^>]*>\s*Continuer\s*</a>', page)


def test_a_user_with_totp_must_give_a_code_after_the_password(client, tenant_a):
    membership = make_member(tenant_a, Role.COLLECTOR, with_totp=False)
    secret = totp_secret_for(membership.user)
    response = sign_in(client, membership.user.email)
    assert response.url == reverse("mfa_authenticate")
    assert client.get(reverse("dashboard")).url.startswith(reverse("account_login"))

    response = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert response.status_code == 200  # refused, asked again
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert response.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 200


def test_consultants_are_not_forced_into_totp(client, tenant_a):
    membership = make_member(tenant_a, Role.CONSULTANT)
    sign_in(client, membership.user.email)
    assert client.get(reverse("dashboard")).status_code == 200


def test_a_platform_operator_must_set_up_totp_too(client, db):
    operator = UserFactory(is_staff=True, is_superuser=True)
    sign_in(client, operator.email)
    response = client.get(reverse("admin:index"))
    assert response.url.startswith(reverse("mfa_activate_totp"))


def test_repeated_wrong_passwords_lock_the_account_for_a_while(client, tenant_a):
    membership = make_member(tenant_a, Role.CONSULTANT)
    for _ in range(5):
        response = sign_in(client, membership.user.email, "wrong password")
        assert response.status_code == 200
    response = sign_in(client, membership.user.email)
    assert response.status_code == 200  # refused even with the right password
    assert response.context["form"].errors
    assert "_auth_user_id" not in client.session


def test_an_unverified_address_must_be_confirmed_before_signing_in(client, tenant_a):
    membership = make_member(tenant_a, Role.CONSULTANT)
    EmailAddress.objects.filter(user=membership.user).update(verified=False)
    response = sign_in(client, membership.user.email)
    assert response.url == reverse("account_email_verification_sent")
    assert len(mail.outbox) == 1
    assert client.get(reverse("dashboard")).status_code == 302


def test_a_forgotten_password_is_reset_from_an_emailed_link(client, tenant_a):
    membership = make_member(tenant_a, Role.CONSULTANT)
    client.post(reverse("account_reset_password"), {"email": membership.user.email})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/accounts/password/reset/key/\S+", mail.outbox[0].body)[0]
    path = link.split("testserver", 1)[-1]
    form = client.get(path, follow=True)
    new_password = "a-brand-new-passphrase-2026"
    client.post(
        form.redirect_chain[-1][0] if form.redirect_chain else path,
        {"password1": new_password, "password2": new_password},
    )
    client.logout()
    assert sign_in(client, membership.user.email, new_password).status_code == 302


def test_there_is_no_public_sign_up(client, db):
    response = client.post(
        reverse("account_signup"),
        {"email": "new@example.com", "password1": "x-long-pass-1", "password2": "x-long-pass-1"},
    )
    assert response.status_code == 200
    assert "account/signup_closed.html" in [t.name for t in response.templates]
    assert not EmailAddress.objects.filter(email="new@example.com").exists()
