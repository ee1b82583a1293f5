"""API keys: created and revoked by a company's admin, shown once, stored hashed.

A key reads `ptg_<prefix>_<secret>`. Calls carry it as `Authorization: Bearer <key>`.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.db import DEFAULT_DB_ALIAS, transaction
from django.utils import timezone

from portage.models import ApiKey, Tenant, User
from portage.services import audit_record
from portage.tenancy import PLATFORM_DB, all_tenants

KEY_PREFIX = "ptg_"
# The last-used date is written at most this often, not on every call.
TOUCH_EVERY = timedelta(minutes=5)


def _digest(secret):
    return hashlib.sha256(secret.encode()).hexdigest()


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
    """The active key a presented key string is, or None. Looked up across companies (the
    company is not known yet) by its prefix, compared in constant time."""
    if not raw or not raw.startswith(KEY_PREFIX):
        return None
    prefix, _, secret = raw[len(KEY_PREFIX) :].partition("_")
    if not prefix or not secret:
        return None
    digest = _digest(secret)
    for key in (
        all_tenants(ApiKey)
        .select_related("tenant", "created_by")
        .filter(prefix=prefix, revoked_at__isnull=True, tenant__is_active=True)
    ):
        if hmac.compare_digest(key.key_hash, digest):
            _touch(key, now or timezone.now())
            return _on_default_connection(key)
    return None


def _on_default_connection(key):
    """The request works on the application's connection, not the platform's: the key and
    the company and user it carries must belong to it (the database router says so)."""
    key._state.db = DEFAULT_DB_ALIAS
    key.tenant = Tenant.objects.get(pk=key.tenant_id)
    key.created_by = User.objects.get(pk=key.created_by_id)
    return key


def _touch(key, now):
    if key.last_used_at is None or now - key.last_used_at > TOUCH_EVERY:
        all_tenants(ApiKey).filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now


__all__ = ["PLATFORM_DB", "api_key_create", "api_key_revoke", "authenticate"]
