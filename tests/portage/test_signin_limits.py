"""Sign-in's lockout and the refusal of a reused two-factor code hold with Redis up and with
Redis down: allauth's counts and used codes are kept in PostgreSQL (`portage.cache`)."""

import time
from datetime import timedelta

import pytest
from allauth.core.internal import ratelimit
from allauth.mfa.totp.internal.auth import validate_totp_code
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from redis.exceptions import ConnectionError as RedisConnectionError

from portage.models import SignInRecord
from portage.permissions import Role
from portage.tasks import purge_sign_in_records_task
from tests.factories import PASSWORD, make_member, totp_secret_for
from tests.portage.test_signin import sign_in, totp_code

pytestmark = pytest.mark.django_db

LOCKED = "Trop de tentatives de connexion échouées. Veuillez réessayer ultérieurement."


@pytest.fixture(params=["Redis up", "Redis down"])
def redis(request, settings):
    """The cache as configured, or pointed at a port where nothing listens."""
    if request.param == "Redis down":
        settings.CACHES = {
            "default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/0"}
        }
        with pytest.raises(RedisConnectionError):
            cache.client.get_client(write=True).ping()
    else:
        assert cache.client.get_client(write=True).ping()
    return request.param


class Later:
    """allauth's clock, `seconds` ahead."""

    def __init__(self, seconds):
        self.seconds = seconds

    def time(self):
        return time.time() + self.seconds

    def __getattr__(self, name):
        return getattr(time, name)


def form_errors(response):
    return [str(error) for error in response.context["form"].non_field_errors()]


def test_five_wrong_passwords_lock_the_account_for_five_minutes(client, tenant_a, redis):
    member = make_member(tenant_a, Role.CONSULTANT).user
    for _ in range(5):
        response = sign_in(client, member.email, "wrong password")
        assert response.status_code == 200
        assert LOCKED not in form_errors(response)

    response = sign_in(client, member.email)
    assert response.status_code == 200  # refused with the right password
    assert form_errors(response) == [LOCKED]
    assert "_auth_user_id" not in client.session
    # Another account from the same address still signs in: the lock is the account's.
    other = make_member(tenant_a, Role.CONSULTANT).user
    assert sign_in(client, other.email).status_code == 302
    client.logout()


def test_the_lock_lifts_after_five_minutes(client, tenant_a, redis, monkeypatch):
    member = make_member(tenant_a, Role.CONSULTANT).user
    for _ in range(5):
        sign_in(client, member.email, "wrong password")

    monkeypatch.setattr(ratelimit, "time", Later(4 * 60))
    assert form_errors(sign_in(client, member.email)) == [LOCKED]
    monkeypatch.setattr(ratelimit, "time", Later(5 * 60 + 1))
    assert sign_in(client, member.email).status_code == 302


def test_ten_wrong_passwords_a_minute_from_one_address_lock_it(client, tenant_a, redis):
    for _ in range(10):
        stranger = make_member(tenant_a, Role.CONSULTANT).user
        response = sign_in(client, stranger.email, "wrong password")
        assert LOCKED not in form_errors(response)

    member = make_member(tenant_a, Role.CONSULTANT).user
    response = sign_in(client, member.email)
    assert form_errors(response) == [LOCKED]
    # From another address, the same account signs in.
    response = client.post(
        reverse("account_login"),
        {"login": member.email, "password": PASSWORD},
        REMOTE_ADDR="192.0.2.7",
    )
    assert response.status_code == 302


def a_fresh_totp_window():
    """Wait, if need be, so that the next 10 seconds fall in one 30-second TOTP window."""
    left = 30 - time.time() % 30
    if left < 10:
        time.sleep(left + 0.1)


def test_a_totp_code_is_refused_the_second_time(client, tenant_a, redis):
    member = make_member(tenant_a, Role.COLLECTOR, with_totp=False).user
    secret = totp_secret_for(member)
    a_fresh_totp_window()
    code = totp_code(secret)

    assert sign_in(client, member.email).url == reverse("mfa_authenticate")
    response = client.post(reverse("mfa_authenticate"), {"code": code})
    assert response.status_code == 302  # a correct sign-in, Redis up or down
    assert client.get(reverse("dashboard")).status_code == 200
    client.logout()

    assert sign_in(client, member.email).url == reverse("mfa_authenticate")
    response = client.post(reverse("mfa_authenticate"), {"code": code})
    assert response.status_code == 200
    assert response.context["form"].errors["code"] == ["Code incorrect."]
    assert validate_totp_code(secret, code)  # still in its window: refused as used
    assert client.get(reverse("dashboard")).url.startswith(reverse("account_login"))


def test_five_wrong_totp_codes_lock_the_second_step(client, tenant_a, redis):
    member = make_member(tenant_a, Role.COLLECTOR, with_totp=False).user
    secret = totp_secret_for(member)
    sign_in(client, member.email)
    wrong = f"{(int(totp_code(secret)) + 1) % 1_000_000:06d}"
    for _ in range(5):
        response = client.post(reverse("mfa_authenticate"), {"code": wrong})
        assert response.context["form"].errors["code"] == ["Code incorrect."]

    a_fresh_totp_window()
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert response.status_code == 200
    assert response.context["form"].errors["code"] == [LOCKED]
    assert client.get(reverse("dashboard")).url.startswith(reverse("account_login"))


def test_a_member_signs_in_with_redis_down(client, tenant_a, settings):
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/0"}
    }
    member = make_member(tenant_a, Role.CONSULTANT).user
    sign_in(client, member.email, "wrong password")
    assert sign_in(client, member.email).status_code == 302
    assert client.get(reverse("dashboard")).status_code == 200


def test_records_name_neither_the_address_nor_the_code_and_expired_ones_are_purged(
    client, tenant_a
):
    member = make_member(tenant_a, Role.COLLECTOR, with_totp=False).user
    secret = totp_secret_for(member)
    sign_in(client, member.email, "wrong password")
    sign_in(client, member.email)
    a_fresh_totp_window()
    code = totp_code(secret)
    client.post(reverse("mfa_authenticate"), {"code": code})
    rows = list(SignInRecord.objects.values_list("key", "value"))
    assert rows
    for key, value in rows:
        assert member.email not in key + str(value)
        assert code not in key

    live = SignInRecord.objects.count()
    SignInRecord.objects.create(
        key="0" * 64, value="y", expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert purge_sign_in_records_task() == {"deleted": 1}
    assert SignInRecord.objects.count() == live
    entry = PeriodicTask.objects.get(task="portage.tasks.purge_sign_in_records")
    assert (entry.crontab.hour, entry.crontab.minute) == ("3", "40")


def test_an_expired_record_counts_as_absent(db):
    assert cache.add("allauth.mfa.totp.used?user=1&code=123456", "y", timeout=30)
    assert not cache.add("allauth.mfa.totp.used?user=1&code=123456", "y", timeout=30)
    SignInRecord.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert cache.get("allauth.mfa.totp.used?user=1&code=123456") is None
    assert cache.add("allauth.mfa.totp.used?user=1&code=123456", "y", timeout=30)
    assert cache.delete("allauth.mfa.totp.used?user=1&code=123456")
    assert not SignInRecord.objects.exists()
