"""The cache backend: Redis through django-redis, which answers "nothing cached" and logs the
error when Redis cannot be reached (`IGNORE_EXCEPTIONS`), so that pages, sign-in and the API
keep working while it is down.

Sign-in keeps its memory in PostgreSQL instead, Redis up or down: allauth's rate limits
(keys `allauth:rl:…`: the counts of failed passwords and of sign-ins, and the short lock
around each count) and the two-factor codes already used (`allauth.mfa.totp.used?…`). They
are what stop password guessing and the replay of a code, and a cache that forgets them
while Redis is down would let both through. allauth reaches them through `add`, `get`, `set`
and `delete`, which send those keys to `SignInRecord` rows with the same meaning: an
expired row counts as absent, and `add` stores only where nothing live is, which the primary
key guarantees against a concurrent twin. A row's key is an HMAC of the cache key.

Other keys stay in Redis. There `add` answers True ("stored") when Redis is down, where
django-redis answers None (read as "already there"), each such call logged.
"""

import logging
from datetime import UTC, datetime

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django_redis.cache import RedisCache
from django_redis.exceptions import ConnectionInterrupted

logger = logging.getLogger(__name__)

# The cache keys of allauth's rate limits and of its used two-factor codes.
SIGN_IN_KEYS = ("allauth:rl:", "allauth.mfa.totp.used?")


def kept_in_database(key):
    return isinstance(key, str) and key.startswith(SIGN_IN_KEYS)


class FailOpenRedisCache(RedisCache):
    def _record_key(self, key, version):
        return salted_hmac(
            "portage.cache.sign-in", self.make_key(key, version), algorithm="sha256"
        ).hexdigest()

    def _expires_at(self, timeout):
        expiry = self.get_backend_timeout(timeout)
        return None if expiry is None else datetime.fromtimestamp(expiry, tz=UTC)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None, **kwargs):
        if kept_in_database(key):
            return _record_add(self._record_key(key, version), value, self._expires_at(timeout))
        try:
            return self.client.add(key, value, timeout=timeout, version=version, **kwargs)
        except ConnectionInterrupted as error:
            logger.error("Cache unreachable, add(%r) taken as stored: %s", key, error)
            return True

    def get(self, key, default=None, version=None, **kwargs):
        if kept_in_database(key):
            return _record_get(self._record_key(key, version), default)
        return super().get(key, default=default, version=version, **kwargs)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None, **kwargs):
        if kept_in_database(key):
            _record_set(self._record_key(key, version), value, self._expires_at(timeout))
            return True
        return super().set(key, value, timeout=timeout, version=version, **kwargs)

    def delete(self, key, version=None, **kwargs):
        if kept_in_database(key):
            return _record_delete(self._record_key(key, version))
        return super().delete(key, version=version, **kwargs)


def _live():
    return Q(expires_at=None) | Q(expires_at__gt=timezone.now())


def _record_get(record_key, default):
    from portage.models import SignInRecord

    values = list(
        SignInRecord.objects.filter(_live(), key=record_key).values_list("value", flat=True)[:1]
    )
    return values[0] if values else default


def _record_add(record_key, value, expires_at):
    from portage.models import SignInRecord

    SignInRecord.objects.filter(key=record_key, expires_at__lte=timezone.now()).delete()
    try:
        with transaction.atomic():
            SignInRecord.objects.create(key=record_key, value=value, expires_at=expires_at)
    except IntegrityError:
        return False
    return True


def _record_set(record_key, value, expires_at):
    from portage.models import SignInRecord

    SignInRecord.objects.update_or_create(
        key=record_key, defaults={"value": value, "expires_at": expires_at}
    )


def _record_delete(record_key):
    from portage.models import SignInRecord

    deleted, _ = SignInRecord.objects.filter(key=record_key).delete()
    return bool(deleted)


def purge_sign_in_records(now):
    """Delete the expired rows; returns how many."""
    from portage.models import SignInRecord

    deleted, _ = SignInRecord.objects.filter(expires_at__lte=now).delete()
    return deleted
