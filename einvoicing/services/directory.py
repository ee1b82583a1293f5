"""The e-invoicing directory (annuaire): where a client receives its invoices. A new
client's look-up is sent to a task here; the look-up itself, which the task and the client's
page run, is `einvoicing.services.transmit.directory_check`."""

from django.db import transaction

from einvoicing.selectors import goes_through_platform, platform_account
from einvoicing.services.platform import uses_api
from einvoicing.services.transmit import FIELDS
from einvoicing.tasks import check_directory_task
from invoices.models import Client
from portage.services import audit_record


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
        check_directory_task.delay_on_commit(tenant_id=client.tenant_id, client_id=client.pk)
