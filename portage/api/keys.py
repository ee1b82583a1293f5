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


def authenticate(raw, *, now=None):
    """The active key a presented key string is, or None.

    The company is not known yet, so the key is first found by its prefix across companies,
    through `portage_api_key_candidates` (a function of the database that answers only the
    id, the company and the hash of the active keys of active companies, see migration
    0014), on the application's connection: one connection per request. The hash is
    compared in constant time; then the key is read in its company, both locks set."""
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
    if found is None:
        return None
    key_id, tenant_id = found
    tenant = Tenant.objects.filter(pk=tenant_id, is_active=True).first()
    if tenant is None:
        return None
    with tenant_context(tenant):
        key = (
            ApiKey.objects.select_related("created_by")
            .filter(pk=key_id, revoked_at__isnull=True)
            .first()
        )
        if key is not None:
            key.tenant = tenant
            _touch(key, now or timezone.now())
    return key


def _touch(key, now):
    if key.last_used_at is None or now - key.last_used_at > TOUCH_EVERY:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now


__all__ = ["api_key_create", "api_key_revoke", "authenticate"]
