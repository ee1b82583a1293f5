"""E-invoicing objects of one company, for the API's cross-company walk and the permission
matrix: an invoice deposited with the platform and its 200 Déposée."""

from datetime import UTC, date, datetime
from decimal import Decimal

from einvoicing.connectors.base import StatusEvent
from einvoicing.models import LifecycleStatus, Outgoing, PaymentReport, PlatformAccount, Submission
from einvoicing.services.statuses import status_record
from portage.tenancy import tenant_context
from tests.factories import make_invoice


def build(tenant):
    with tenant_context(tenant):
        account, _created = PlatformAccount.objects.get_or_create(
            tenant=tenant,
            defaults={"platform_name": "Plateforme test", "in_scope_from": date(2026, 9, 1)},
        )
    invoice = make_invoice(tenant, issued_on=date(2026, 10, 1))
    with tenant_context(tenant):
        status_record(
            tenant=tenant,
            event=StatusEvent(
                event_id=f"world-{invoice.pk}",
                flow_id="",
                invoice_number=invoice.number,
                code="200",
                issued_at=datetime(2026, 10, 1, 9, tzinfo=UTC),
                sender="platform",
            ),
        )
        status = LifecycleStatus.objects.get(invoice=invoice)
        submission = Submission.objects.get(invoice=invoice)
        report = PaymentReport.objects.create(
            tenant=tenant,
            period_start=date(2026, 10, 1),
            period_end=date(2026, 10, 31),
            due_on=date(2026, 11, 10),
            reference="ERP-202610",
            payments=[],
            total=Decimal("0"),
            state=Outgoing.SENT,
        )
    return {
        "lifecycle-status": status.pk,
        "einvoicing-webhook-token": account.webhook_token,
        "einvoicing-submission": submission.pk,
        "einvoicing-payment-report": report.pk,
    }
