"""API keys: created and revoked by a company's admin, shown once, stored hashed.

A key reads `ptg_<prefix>_<secret>`. Calls carry it as `Authorization: Bearer <key>`.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from portage.models import ApiKey, Tenant
from portage.services import audit_record
from portage.tenancy import tenant_context

KEY_PREFIX = "ptg_"
PREFIX_MAX_LENGTH = ApiKey._meta.get_field("prefix").max_length
# The last-used date is written at most this often, not on every call.
TOUCH_EVERY = timedelta(minutes=5)


def _digest(secret):
    return hashlib.sha256(secret.encode()).hexdigest()


# Compared with when the prefix names no key, so that an unknown prefix costs as much.
_NO_KEY = _digest("")


@transaction.atomic
def api_key_create(*, tenant, name, scope, by):
    """Creates a key; returns (ApiKey, the full key to show once)."""
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        tenant=tenant,
        name=name.strip(),
        prefix=prefix,
        key_hash=_digest(secret),
        scope=scope,
        created_by=by,
    )
    audit_record(
        tenant=tenant,
        actor=by,
        action="api_key.created",
        obj=key,
        after={"name": key.name, "scope": key.get_scope_display(), "prefix": prefix},
    )
    return key, f"{KEY_PREFIX}{prefix}_{secret}"


@transaction.atomic
def api_key_revoke(*, key, by):
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        audit_record(
            tenant=key.tenant,
            actor=by,
            action="api_key.revoked",
            obj=key,
            after={"name": key.name, "prefix": key.prefix},
        )
    return key


def key_found(raw):
    """(key id, company id) of the active key a presented key string is, or None.

    The company is not known yet, so the key is found by its prefix across companies,
    through `portage_api_key_candidates` (a function of the database that answers only the
    id, the company and the hash of the active keys of active companies, see migration
    0014), on the application's connection, outside any transaction: one query. The hash is
    compared in constant time, an unknown prefix costing as much as a known one."""
    if not raw or not raw.startswith(KEY_PREFIX):
        return None
    prefix, _, secret = raw[len(KEY_PREFIX) :].partition("_")
    if not prefix or not secret or len(prefix) > PREFIX_MAX_LENGTH:
        return None
    digest = _digest(secret)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, tenant_id, key_hash FROM portage_api_key_candidates(%s)", [prefix]
        )
        candidates = cursor.fetchall()
    found = None
    for key_id, tenant_id, key_hash in candidates or [(None, None, _NO_KEY)]:
        if hmac.compare_digest(key_hash, digest) and key_id is not None:
            found = (key_id, tenant_id)
    return found


def key_read(key_id, *, now=None):
    """Inside the context of the key's company, opened from its id (`tenant_context(
    Tenant(pk=company id))`): the key, with its
    company and its creator, in one query; None if it was revoked, or its company closed,
    since `key_found`. Its last use is written at most every `TOUCH_EVERY`."""
    key = (
        ApiKey.objects.select_related("tenant", "created_by")
        .filter(pk=key_id, revoked_at__isnull=True, tenant__is_active=True)
        .first()
    )
    if key is not None:
        _touch(key, now or timezone.now())
    return key


def authenticate(raw, *, now=None):
    """The active key a presented key string is, or None (`key_found`, then `key_read` in
    its company)."""
    found = key_found(raw)
    if found is None:
        return None
    key_id, tenant_id = found
    with tenant_context(Tenant(pk=tenant_id)):
        return key_read(key_id, now=now)


def _touch(key, now):
    if key.last_used_at is None or now - key.last_used_at > TOUCH_EVERY:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now


__all__ = ["api_key_create", "api_key_revoke", "authenticate", "key_found", "key_read"]
