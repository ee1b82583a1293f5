"""The company's plateforme agréée: its settings, and the connector that reaches it."""

from datetime import timedelta
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from einvoicing.connectors.base import ConnectorError, Refused, TemporaryFailure, get_connector
from einvoicing.models import PlatformAccount
from portage.connectors import address_allowed
from portage.models import Tenant
from portage.services import audit_record

ACCOUNT_FIELDS = [
    "platform_name",
    "connector",
    "api_base_url",
    "directory_url",
    "in_scope_from",
    "reporting_period",
    "payment_hold_days",
]
SECRET_FIELDS = ["api_key", "api_secret"]
TENANT_FIELDS = ["vat_on_debits", "einvoicing_address"]


def connector_of(account, **options):
    """The connector for the company's account: its API, or the manual one (files to upload
    on the platform's portal, statuses entered by a person)."""
    if uses_api(account):
        return get_connector(
            "http",
            base_url=account.api_base_url,
            directory_url=account.directory_url,
            api_key=account.api_key,
            secret=account.api_secret,
            **options,
        )
    return get_connector("manual")


def uses_api(account):
    return account.connector == PlatformAccount.Connector.HTTP and bool(account.api_base_url)


def _settings_validate(data):
    errors = {}
    if data["connector"] == PlatformAccount.Connector.HTTP and not data["api_base_url"]:
        errors["api_base_url"] = _("Give the address of the platform's API.")
    for name in ("api_base_url", "directory_url"):
        if data.get(name) and not address_allowed(data[name]):
            errors[name] = _(
                "The platform's API is reached over HTTPS: the address starts with https://."
            )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def platform_settings_save(*, tenant, actor, data, credentials=None):
    """Creates or updates the company's platform account and the two company settings the
    e-invoices print (VAT on debits, the company's electronic address).

    `data` holds ACCOUNT_FIELDS and TENANT_FIELDS; `credentials` the API key and secret,
    which are only ever written: left empty they stay as recorded. The audit log names the
    fields changed, never their values, so the key and the secret are never written there."""
    _settings_validate(data)
    company = Tenant.objects.select_for_update().get(pk=tenant.pk)
    account = PlatformAccount.objects.select_for_update().filter(tenant=company).first()
    creating = account is None
    if creating:
        account = PlatformAccount(tenant=company)
    stored = {name: getattr(account, name) for name in ACCOUNT_FIELDS + SECRET_FIELDS}
    for name in ACCOUNT_FIELDS:
        setattr(account, name, data[name])
    for name, value in (credentials or {}).items():
        if value:
            setattr(account, name, value)
    # A new account names the fields given a value; an existing one those whose value moved.
    changed = [
        name
        for name in ACCOUNT_FIELDS + SECRET_FIELDS
        if (bool(getattr(account, name)) if creating else stored[name] != getattr(account, name))
    ]
    account.full_clean(exclude=["tenant"])
    account.save()
    tenant_changed = [name for name in TENANT_FIELDS if getattr(company, name) != data[name]]
    for name in tenant_changed:
        setattr(company, name, data[name])
        setattr(tenant, name, data[name])
    if tenant_changed:
        company.save(update_fields=tenant_changed)
    if changed or tenant_changed:
        audit_record(
            tenant=company,
            actor=actor,
            action="einvoicing.settings_changed",
            obj=account,
            after={"fields": changed + tenant_changed},
        )
    return account


class Check(NamedTuple):
    """One service of the platform tried: its name, whether it answered, what it said."""

    service: str
    ok: bool
    detail: str


def _problem(error):
    if isinstance(error, TemporaryFailure):
        return _("The platform did not answer (%(error)s). Try again in a few minutes.") % {
            "error": error
        }
    if isinstance(error, Refused) and error.status_code in (401, 403):
        return _("The platform refused the key or the secret: %(reason)s") % {"reason": error}
    if isinstance(error, Refused):
        return _("The platform refused the request: %(reason)s") % {"reason": error}
    return _("The platform answered something unexpected: %(error)s") % {"error": error}


def platform_connection_check(*, account, connector=None):
    """Tries the two services of the company's platform with its recorded settings, once
    each and without writing anything: the flow service (a search of the last minute's
    statuses) and the directory (the company's own SIREN). Returns a Check per service."""
    connector = connector or connector_of(account, max_attempts=1, timeout=5)
    checks = []
    try:
        connector.statuses_since(timezone.now() - timedelta(minutes=1))
        accepted = _("The platform accepted the key and the signature.")
        checks.append(Check(_("flow service"), True, accepted))
    except ConnectorError as error:
        checks.append(Check(_("flow service"), False, _problem(error)))
    try:
        entry = connector.directory_lookup(account.tenant.siren)
    except ConnectorError as error:
        checks.append(Check(_("directory"), False, _problem(error)))
    else:
        if entry is None:
            detail = _(
                "The directory answered, but does not know the company's SIREN %(siren)s yet: "
                "clients' platforms cannot send invoices to it."
            ) % {"siren": account.tenant.siren}
            checks.append(Check(_("directory"), False, detail))
        else:
            detail = _("The company receives its invoices at %(address)s.") % {
                "address": entry.address
            }
            checks.append(Check(_("directory"), True, detail))
    return checks
