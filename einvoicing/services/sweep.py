"""What the sweep finds to do, across companies: read by `einvoicing.tasks.send_due_task`,
which sends the task of each kind."""

from einvoicing.models import CollectionReport, Outgoing, PaymentReport, PlatformAccount, Submission
from portage.tenancy import all_tenants


def due_flows(*, older_than):
    """(kind, company id, arguments) for each flow still to send whose task was lost
    ("submission", "collection_report", "payment_report"), and a status read ("statuses")
    for each company reaching its platform through the API."""
    due = [
        ("submission", tenant_id, {"submission_pk": pk})
        for pk, tenant_id in all_tenants(Submission)
        .filter(state=Submission.State.TO_SEND, updated_at__lt=older_than)
        .values_list("pk", "tenant_id")
    ]
    due += [
        ("collection_report", tenant_id, {"report_pk": pk})
        for pk, tenant_id in all_tenants(CollectionReport)
        .filter(state=Outgoing.TO_SEND, created_at__lt=older_than)
        .values_list("pk", "tenant_id")
    ]
    due += [
        ("payment_report", tenant_id, {"report_pk": pk})
        for pk, tenant_id in all_tenants(PaymentReport)
        .filter(state=Outgoing.TO_SEND, created_at__lt=older_than)
        .values_list("pk", "tenant_id")
    ]
    due += [
        ("statuses", tenant_id, {})
        for tenant_id in all_tenants(PlatformAccount)
        .filter(connector=PlatformAccount.Connector.HTTP, tenant__is_active=True)
        .exclude(api_base_url="")
        .values_list("tenant_id", flat=True)
    ]
    return due
