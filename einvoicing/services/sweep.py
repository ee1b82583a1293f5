"""What the sweep and the daily job find to do, across companies and for one."""

from einvoicing import tasks
from einvoicing.models import CollectionReport, Outgoing, PaymentReport, PlatformAccount, Submission
from portage.tenancy import all_tenants


def due_flows(*, older_than):
    """(task, company id, arguments) for each flow still to send whose task was lost,
    and a status read for each company reaching its platform through the API."""
    due = [
        (tasks.send_submission_task, tenant_id, {"submission_pk": pk})
        for pk, tenant_id in all_tenants(Submission)
        .filter(state=Submission.State.TO_SEND, updated_at__lt=older_than)
        .values_list("pk", "tenant_id")
    ]
    due += [
        (tasks.send_collection_report_task, tenant_id, {"report_pk": pk})
        for pk, tenant_id in all_tenants(CollectionReport)
        .filter(state=Outgoing.TO_SEND, created_at__lt=older_than)
        .values_list("pk", "tenant_id")
    ]
    due += [
        (tasks.send_payment_report_task, tenant_id, {"report_pk": pk})
        for pk, tenant_id in all_tenants(PaymentReport)
        .filter(state=Outgoing.TO_SEND, created_at__lt=older_than)
        .values_list("pk", "tenant_id")
    ]
    due += [
        (tasks.read_statuses_task, tenant_id, {})
        for tenant_id in all_tenants(PlatformAccount)
        .filter(connector=PlatformAccount.Connector.HTTP, tenant__is_active=True)
        .exclude(api_base_url="")
        .values_list("tenant_id", flat=True)
    ]
    return due
