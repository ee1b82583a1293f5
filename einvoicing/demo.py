"""E-invoicing in the demo companies: a platform account in scope since 1 September 2026, and
the statuses a platform would have sent, played in process (no network): invoices deposited
and approved, one refused and one disputed by the buyer, the 212s of the payments collected,
and the payment e-reporting of the periods ended (a Swiss client paid in October)."""

import itertools
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction

from einvoicing.connectors.base import Connector, FlowReceipt, StatusEvent
from einvoicing.defaults import DEFAULT_SCHEME
from einvoicing.models import CollectionReport, Outgoing, PaymentReport, PlatformAccount, Submission
from einvoicing.services.reporting import reports_due
from einvoicing.services.statuses import status_record
from einvoicing.services.transmit import (
    collection_report_send,
    payment_report_send,
    submission_send,
)
from invoices.models import Client, Invoice
from invoices.services.billing import client_create, invoice_draft_create, invoice_issue
from invoices.services.payments import payment_record
from portage.tenancy import tenant_context

IN_SCOPE_FROM = date(2026, 9, 1)
PLATFORM = "Plateforme agréée de démonstration"


class DemoPlatform(Connector):
    """Answers as the platform simulator does, in process: every flow deposited with a flow
    id, the directory knows each French client by its SIREN."""

    def __init__(self):
        self._ids = itertools.count(1)

    def _receipt(self, reference):
        return FlowReceipt(
            reference=reference, flow_id=f"DEMO-{next(self._ids):06d}", status="deposited"
        )

    def submit_invoice(self, flow):
        return self._receipt(flow.reference)

    def send_status(self, message):
        return self._receipt(message.reference)

    def send_payment_report(self, report):
        return self._receipt(report.reference)

    def flow_statuses(self, flow_id):
        return ()

    def statuses_since(self, since):
        return ()

    def directory_lookup(self, siren):
        return None

    def parse_webhook(self, headers, body):
        return ()


def account_ensure(*, tenant):
    """Before the invoices are made: invoices issued from 1 September 2026 are deposited."""
    with tenant_context(tenant):
        PlatformAccount.objects.get_or_create(
            tenant=tenant,
            defaults={"platform_name": PLATFORM, "in_scope_from": IN_SCOPE_FROM},
        )


def _moment(day, hour=10):
    return datetime.combine(day, time(hour), UTC)


def _status(tenant, invoice, code, day, *, sender, reason_code="", reason_text=""):
    status_record(
        tenant=tenant,
        event=StatusEvent(
            event_id=f"demo-{invoice.number}-{code}",
            flow_id="",
            invoice_number=invoice.number,
            code=code,
            issued_at=_moment(day),
            sender=sender,
            reason_code=reason_code,
            reason_text=reason_text,
        ),
    )


@transaction.atomic
def seed(*, tenant, today):
    """The platform's answers for the company's invoices; returns False when already done."""
    platform = DemoPlatform()
    with tenant_context(tenant):
        if (
            not PlatformAccount.objects.exists()
            or not Submission.objects.exists()
            or Submission.objects.exclude(state=Submission.State.TO_SEND).exists()
        ):
            return False
        for client in Client.objects.filter(country="FR").exclude(siren=""):
            client.einvoicing_address = client.siren
            client.einvoicing_scheme = DEFAULT_SCHEME
            client.einvoicing_platform = PLATFORM
            client.directory_checked_on = IN_SCOPE_FROM
            client.save()
        _foreign_client_paid(tenant, today)
        submissions = list(
            Submission.objects.select_related("invoice").order_by("invoice__issue_date", "pk")
        )
        open_late = [
            s.invoice
            for s in submissions
            if s.invoice.kind == Invoice.Kind.INVOICE
            and s.invoice.status in (Invoice.Status.ISSUED, Invoice.Status.PARTIALLY_PAID)
            and s.invoice.due_date < today
        ]
        refused = open_late[0] if open_late else None
        disputed = open_late[1] if len(open_late) > 1 else None
        for submission in submissions:
            submission_send(submission.pk, connector=platform)
            invoice = submission.invoice
            issued = invoice.issue_date
            _status(tenant, invoice, "200", issued, sender="platform")
            _status(tenant, invoice, "204", issued + timedelta(days=1), sender="buyer")
            if invoice == refused:
                _status(
                    tenant,
                    invoice,
                    "210",
                    issued + timedelta(days=3),
                    sender="buyer",
                    reason_code="CMD_ERR",
                    reason_text="Numéro de bon de commande absent",
                )
            elif invoice == disputed:
                _status(
                    tenant,
                    invoice,
                    "207",
                    issued + timedelta(days=4),
                    sender="buyer",
                    reason_code="QTE_ERR",
                    reason_text="Deux jours de mission contestés",
                )
            elif invoice.kind == Invoice.Kind.INVOICE:
                _status(tenant, invoice, "205", issued + timedelta(days=3), sender="buyer")
        for report in CollectionReport.objects.filter(state=Outgoing.TO_SEND):
            collection_report_send(report.pk, connector=platform)
        for report in reports_due(tenant=tenant, today=today):
            payment_report_send(report.pk, connector=platform)
        PaymentReport.objects.filter(
            state=Outgoing.SENT, period_end__lt=today - timedelta(days=40)
        ).update(state=Outgoing.ACCEPTED)
    return True


def _foreign_client_paid(tenant, today):
    """A client in Geneva, invoiced and paid: its payment goes into the payment e-reporting
    of its month (CGI art. 290 A)."""
    from consultants.models import Consultant

    client = client_create(
        tenant=tenant,
        by=None,
        legal_name="Helvetia Conseil SA",
        siren="",
        siret="",
        vat_number="",
        country="CH",
        address_line1="12 rue du Rhône",
        address_line2="",
        postal_code="1204",
        city="Genève",
        billing_emails=["finance@helvetia-conseil.example"],
        category=Client.Category.PRIVATE,
        payment_terms="net",
        payment_days=30,
    )
    invoice = invoice_draft_create(
        tenant=tenant,
        client=client,
        consultant=Consultant.objects.order_by("pk").first(),
        by=None,
        lines=[
            {
                "description": "Mission de conseil — Genève, 5 jours",
                "quantity": Decimal("5"),
                "unit": "DAY",
                "unit_price": Decimal("700.00"),
                "vat_rate": Decimal("0.00"),
            }
        ],
    )
    # Numbers follow the dates: issued on the day of the company's last invoice.
    issued_on = _last_issue_date() or today
    invoice = invoice_issue(invoice=invoice, by=None, issued_on=issued_on)
    payment_record(
        client=client,
        amount=invoice.total_ttc,
        by=None,
        received_on=min(issued_on + timedelta(days=1), today),
        reference=f"VIR {invoice.number}",
        allocations=[(invoice, invoice.total_ttc)],
    )


def _last_issue_date():
    last = Invoice.objects.exclude(issue_date=None).order_by("-issue_date").first()
    return last.issue_date if last else None
