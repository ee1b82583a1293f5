"""The e-invoicing directory (annuaire): where a client receives its invoices."""

from django.db import transaction
from django.utils.translation import gettext as _

from einvoicing import tasks
from einvoicing.selectors import goes_through_platform, platform_account
from einvoicing.services.platform import connector_of, uses_api
from invoices.models import Client
from portage.batch import paris_today
from portage.services import audit_record

FIELDS = [
    "einvoicing_address",
    "einvoicing_scheme",
    "einvoicing_platform",
    "einvoicing_routing_code",
    "directory_checked_on",
]


def directory_check(*, client, connector=None, today=None):
    """Looks the client's SIREN up in the directory through the company's platform and keeps
    the electronic address (BT-49), its scheme, the receiving platform and the routing code,
    with the day checked. A SIREN the directory does not know is kept as checked with no
    address: invoices to it are not sent, and say why. Returns the client.

    Raises TemporaryFailure when the platform does not answer (the task retries) and
    Refused when it refuses the question."""
    account = platform_account()
    if account is None or not goes_through_platform(client):
        return client
    if connector is None and not uses_api(account):
        return client  # the manual directory is entered by hand on the client's page
    entry = (connector or connector_of(account)).directory_lookup(client.siren)
    return _keep(client, entry, today or paris_today())


@transaction.atomic
def _keep(client, entry, today):
    stored = Client.objects.select_for_update().get(pk=client.pk)
    stored.einvoicing_address = entry.address if entry else ""
    stored.einvoicing_scheme = entry.scheme if entry else ""
    stored.einvoicing_platform = entry.platform if entry else ""
    stored.einvoicing_routing_code = entry.routing_code if entry else ""
    stored.directory_checked_on = today
    stored.save(update_fields=FIELDS)
    audit_record(
        tenant=stored.tenant,
        actor=None,
        actor_label=_("E-invoicing directory"),
        action="einvoicing.directory_checked",
        obj=stored,
        after={
            "address": stored.einvoicing_address or _("no entry"),
            "platform": stored.einvoicing_platform,
        },
    )
    return stored


@transaction.atomic
def directory_enter(*, client, address, scheme, platform, routing_code="", by, today):
    """The directory entry as a person read it on the directory's site (manual connector)."""
    stored = Client.objects.select_for_update().get(pk=client.pk)
    stored.einvoicing_address = address.strip()
    stored.einvoicing_scheme = scheme.strip()
    stored.einvoicing_platform = platform.strip()
    stored.einvoicing_routing_code = routing_code.strip()
    stored.directory_checked_on = today
    stored.save(update_fields=FIELDS)
    audit_record(
        tenant=stored.tenant,
        actor=by,
        action="einvoicing.directory_entered",
        obj=stored,
        after={"address": stored.einvoicing_address, "platform": stored.einvoicing_platform},
    )
    return stored


def on_client_created(sender, client, **kwargs):
    """A new French company: its directory entry is looked up once it is committed."""
    account = platform_account()
    if account is not None and uses_api(account) and goes_through_platform(client):
        tasks.check_directory_task.delay_on_commit(tenant_id=client.tenant_id, client_id=client.pk)
