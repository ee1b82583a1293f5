"""Every payment collected, reported: status 212 "Encaissée" for domestic B2B invoices, the
periodic payment e-reporting for individuals and foreign clients.

A portage company sells services: unless it opted for VAT on debits, its VAT is due when the
price is collected (CGI art. 269, 2, c), so the tax administration is told of each payment:
- an invoice deposited with the platform: the seller sends status 212 with the amount and
  the day collected (XP Z12-012), once per allocation of a payment, a partial payment
  reporting what it brought, split by VAT rate (rules.collected_by_rate over
  selectors.vat_shares), the split fixed when the 212 is made; undoing the allocation sends
  the correction (a 212 of the opposite amounts naming the one it corrects);
- an invoice to an individual or a foreign client: the payments of a period are sent
  together, once, in the payment e-reporting (CGI art. 290 A), monthly before the 10th of
  the next month under the normal monthly regime.
"""

import calendar
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from einvoicing import tasks
from einvoicing.connectors.base import PaymentReport as PaymentReportFlow
from einvoicing.connectors.base import (
    Refused,
    ReportedPayment,
    StatusEvent,
    StatusMessage,
    TemporaryFailure,
)
from einvoicing.models import (
    CollectionReport,
    Outgoing,
    PaymentReport,
    PlatformAccount,
    Submission,
)
from einvoicing.rules import collected_by_rate
from einvoicing.selectors import (
    in_scope,
    platform_account,
    reported_by_ereporting,
    vat_shares,
)
from einvoicing.services.platform import connector_of
from invoices.facturx import TYPE_CODES
from invoices.models import Allocation, Invoice
from invoices.services.billing import buyer_electronic_address
from portage.money import ZERO
from portage.services import audit_record

COLLECTED = "212"


def _deposited(invoice):
    return invoice.submissions.exists()


def on_payment_allocated(sender, allocation, invoice, payment, **kwargs):
    """A payment allocated to an invoice deposited with the platform: its 212, once."""
    if not _deposited(invoice):
        return
    report, created = CollectionReport.objects.get_or_create(
        tenant=invoice.tenant,
        allocation=allocation,
        kind=CollectionReport.Kind.COLLECTED,
        defaults={
            "invoice": invoice,
            "amount": allocation.amount,
            "collected_on": payment.received_on,
            "reference": f"ENC-{allocation.pk}",
        },
    )
    if created:
        _keep_amounts_by_rate(report)
        send_after_commit(report)


def on_allocation_undone(sender, allocation, invoice, booked_on, **kwargs):
    """An allocation undone (a payment reversed): the correction of its 212, once."""
    if not CollectionReport.objects.filter(
        allocation=allocation, kind=CollectionReport.Kind.COLLECTED
    ).exists():
        return
    report, created = CollectionReport.objects.get_or_create(
        tenant=invoice.tenant,
        allocation=allocation,
        kind=CollectionReport.Kind.CORRECTION,
        defaults={
            "invoice": invoice,
            "amount": -allocation.amount,
            "collected_on": booked_on,
            "reference": f"ENC-{allocation.pk}-C",
        },
    )
    if created:
        _keep_amounts_by_rate(report)
        send_after_commit(report)


def amounts_by_rate(report):
    """What the 212 states per VAT rate, ((rate, amount), ...): as kept on the report; else,
    for a 212, the allocation's amount spread over the invoice's rates (net of its credit
    notes) as rules.collected_by_rate spreads it; for a correction, the exact opposite of
    the 212 it corrects, whatever credit note came in between."""
    if report.amounts_by_rate:
        return tuple((Decimal(rate), Decimal(amount)) for rate, amount in report.amounts_by_rate)
    if report.kind == CollectionReport.Kind.CORRECTION:
        original = CollectionReport.objects.get(
            allocation_id=report.allocation_id, kind=CollectionReport.Kind.COLLECTED
        )
        return tuple((rate, -amount) for rate, amount in amounts_by_rate(original))
    return collected_by_rate(report.amount, vat_shares(report.invoice))


def _as_json(split):
    return [[str(rate), str(amount)] for rate, amount in split]


def _keep_amounts_by_rate(report):
    report.amounts_by_rate = _as_json(amounts_by_rate(report))
    report.save(update_fields=["amounts_by_rate"])


def send_after_commit(report):
    tasks.send_collection_report_task.delay_on_commit(
        tenant_id=report.tenant_id, report_pk=report.pk
    )


@transaction.atomic
def collection_report_send(report_pk, *, connector=None, final=False):
    """Sends one 212 (or its correction) to the platform; returns the report. A correction
    waits until the 212 it corrects has left."""
    report = (
        CollectionReport.objects.select_for_update(of=("self",))
        .select_related("invoice__client", "tenant")
        .get(pk=report_pk)
    )
    if report.state != Outgoing.TO_SEND:
        return report
    corrected = ""
    if report.kind == CollectionReport.Kind.CORRECTION:
        original = CollectionReport.objects.get(
            allocation_id=report.allocation_id, kind=CollectionReport.Kind.COLLECTED
        )
        if original.state == Outgoing.TO_SEND:
            raise TemporaryFailure(f"{report.reference} waits for {original.reference}")
        corrected = original.reference
    invoice = report.invoice
    submission = invoice.submissions.first()
    if submission.state not in (Submission.State.SENT, Submission.State.DEPOSITED):
        return report  # the invoice is not with the platform yet: the sweep sends it later
    connector = connector or connector_of(platform_account())
    report.attempts += 1
    # A report made before the split was kept is split when it first leaves.
    split = amounts_by_rate(report)
    report.amounts_by_rate = _as_json(split)
    buyer_address, buyer_scheme = buyer_electronic_address(invoice.client)
    message = StatusMessage(
        reference=report.reference,
        invoice_number=invoice.number,
        invoice_issue_date=invoice.issue_date,
        invoice_type_code=TYPE_CODES[invoice.kind],
        seller_siren=invoice.seller.get("siren", ""),
        seller_name=invoice.seller.get("name", ""),
        buyer_siren=invoice.buyer.get("siren", ""),
        buyer_name=invoice.buyer.get("name", ""),
        buyer_address=buyer_address,
        buyer_address_scheme=buyer_scheme,
        code=COLLECTED,
        amount=report.amount,
        amounts_by_rate=split,
        collected_on=report.collected_on,
        # The moment the 212 was made, kept on the report, not this attempt's: an attempt
        # after a lost answer sends the same bytes, which the platform recognises.
        issued_at=report.issued_at,
        currency=invoice.currency,
        corrects=corrected,
    )
    try:
        receipt = connector.send_status(message)
    except Refused as refusal:
        report.state = Outgoing.REJECTED
        report.last_error = _("Refused by the platform: %(reason)s") % {"reason": refusal}
        report.save()
        return report
    except TemporaryFailure as failure:
        if not final:
            raise
        report.state = Outgoing.FAILED
        report.last_error = _("Platform unreachable: %(error)s") % {"error": failure}
        report.save()
        return report
    report.state = Outgoing.TO_UPLOAD if receipt.status == "to_upload" else Outgoing.SENT
    report.flow_id = receipt.flow_id
    report.sent_at = receipt.received_at or timezone.now()
    report.last_error = ""
    report.save()
    if report.state == Outgoing.SENT:
        _in_history(report)
    return report


def _in_history(report):
    """The 212 we sent, in the invoice's status history (once: its reference is its id)."""
    from einvoicing.services.statuses import status_record

    status_record(
        tenant=report.tenant,
        event=StatusEvent(
            event_id=report.reference,
            flow_id="",
            reference=report.invoice.submissions.first().reference,
            invoice_number=report.invoice.number,
            code=COLLECTED,
            issued_at=report.sent_at,
            sender="seller",
            amount=report.amount,
            reason_text=_("Collected on %(day)s") % {"day": f"{report.collected_on:%d/%m/%Y}"}
            if report.kind == CollectionReport.Kind.COLLECTED
            else _("Correction: allocation undone"),
        ),
    )


# The payment e-reporting


def period_of(day, account):
    """The e-reporting period `day` falls in: (first day, last day, to send by). Monthly:
    sent before the 10th of the next month (normal monthly regime); every two months
    (January–February, …) for a company under the VAT franchise, by the 10th after."""
    months = 2 if account.reporting_period == PlatformAccount.ReportingPeriod.BIMONTHLY else 1
    first_month = day.month - (day.month - 1) % months
    start = date(day.year, first_month, 1)
    last_month = first_month + months - 1
    end = date(day.year, last_month, calendar.monthrange(day.year, last_month)[1])
    after = end + timedelta(days=1)
    return start, end, date(after.year, after.month, 10)


def _reported_allocations():
    """{allocation id: net amount reported so far} over every report built."""
    reported = {}
    for lines in PaymentReport.objects.values_list("payments", flat=True):
        for line in lines:
            reported[line["allocation"]] = reported.get(line["allocation"], ZERO) + Decimal(
                line["amount"]
            )
    return reported


def _in_report(allocation, account):
    invoice = allocation.invoice
    return reported_by_ereporting(invoice.client) and in_scope(invoice, account)


def _lines_for(period_end, account):
    """What a report of the period ending `period_end` carries: each allocation collected by
    then and not reported yet (one entered late is reported with the next period, dated the
    day it was collected), and the correction of each allocation reported then undone."""
    reported = _reported_allocations()
    lines = []
    allocations = (
        Allocation.objects.filter(
            payment__received_on__lte=period_end,
            invoice__kind=Invoice.Kind.INVOICE,
            invoice__issue_date__gte=account.in_scope_from,
        )
        .select_related("invoice__client", "payment")
        .order_by("payment__received_on", "pk")
    )
    for allocation in allocations:
        if not _in_report(allocation, account):
            continue
        owed = allocation.amount if allocation.is_active else ZERO
        difference = owed - reported.get(allocation.pk, ZERO)
        if difference == ZERO:
            continue
        invoice = allocation.invoice
        lines.append(
            {
                "allocation": allocation.pk,
                "invoice": invoice.number,
                "invoice_issue_date": invoice.issue_date.isoformat(),
                "client": invoice.client.legal_name,
                "collected_on": allocation.payment.received_on.isoformat(),
                "amount": str(difference),
                "amounts_by_rate": _as_json(collected_by_rate(difference, vat_shares(invoice))),
                "correction": difference < ZERO,
            }
        )
    return lines


@transaction.atomic
def payment_report_build(*, tenant, period_start, today):
    """The report of the period beginning `period_start`, built once the period has ended
    (its lines are then fixed); returns it, or None when there is nothing to report."""
    account = platform_account()
    start, end, due_on = period_of(period_start, account)
    if end >= today:
        raise ValidationError(_("This period has not ended yet."))
    existing = PaymentReport.objects.filter(period_start=start).first()
    if existing is not None:
        return existing
    lines = _lines_for(end, account)
    report = PaymentReport.objects.create(
        tenant=tenant,
        period_start=start,
        period_end=end,
        due_on=due_on,
        reference=f"ERP-{start:%Y%m}",
        payments=lines,
        total=sum((Decimal(line["amount"]) for line in lines), ZERO),
    )
    audit_record(
        tenant=tenant,
        actor=None,
        actor_label=_("E-invoicing"),
        action="einvoicing.payment_report_built",
        obj=report,
        after={"period": f"{start:%d/%m/%Y}–{end:%d/%m/%Y}", "total": report.total},
    )
    tasks.send_payment_report_task.delay_on_commit(tenant_id=tenant.pk, report_pk=report.pk)
    return report


def reports_due(*, tenant, today):
    """Builds the report of every period ended since the company came into scope."""
    account = platform_account()
    if account is None:
        return []
    built = []
    start, end, _due = period_of(account.in_scope_from, account)
    while end < today:
        if not PaymentReport.objects.filter(period_start=start).exists():
            built.append(payment_report_build(tenant=tenant, period_start=start, today=today))
        start, end, _due = period_of(end + timedelta(days=1), account)
    return built


@transaction.atomic
def payment_report_send(report_pk, *, connector=None, final=False):
    """Sends a period's payment e-reporting, once (its reference is the flow's tracking id)."""
    report = PaymentReport.objects.select_for_update(of=("self",)).get(pk=report_pk)
    if report.state != Outgoing.TO_SEND:
        return report
    connector = connector or connector_of(platform_account())
    report.attempts += 1
    flow = PaymentReportFlow(
        reference=report.reference,
        seller_siren=report.tenant.siren,
        period_start=report.period_start,
        period_end=report.period_end,
        payments=tuple(
            ReportedPayment(
                line["invoice"],
                date.fromisoformat(line["invoice_issue_date"]),
                date.fromisoformat(line["collected_on"]),
                Decimal(line["amount"]),
                amounts_by_rate=tuple(
                    (Decimal(rate), Decimal(amount))
                    for rate, amount in line.get("amounts_by_rate", ())
                ),
            )
            for line in report.payments
        ),
        total=report.total,
    )
    try:
        receipt = connector.send_payment_report(flow)
    except Refused as refusal:
        report.state = Outgoing.REJECTED
        report.reason = str(refusal)
        report.save()
        return report
    except TemporaryFailure as failure:
        if not final:
            raise
        report.state = Outgoing.FAILED
        report.last_error = str(failure)
        report.save()
        return report
    report.state = Outgoing.TO_UPLOAD if receipt.status == "to_upload" else Outgoing.SENT
    report.flow_id = receipt.flow_id
    report.sent_at = receipt.received_at or timezone.now()
    report.save()
    return report


@transaction.atomic
def payment_report_answer(*, report, accepted, reason="", by):
    """The platform's answer to a report, as a person read it on its portal."""
    stored = PaymentReport.objects.select_for_update().get(pk=report.pk)
    if stored.state not in (Outgoing.SENT, Outgoing.TO_UPLOAD):
        raise ValidationError(_("Only a report sent can be accepted or rejected."))
    if not accepted and not reason.strip():
        raise ValidationError({"reason": _("Give the reason the platform gives.")})
    stored.state = Outgoing.ACCEPTED if accepted else Outgoing.REJECTED
    stored.reason = reason.strip()
    stored.save(update_fields=["state", "reason"])
    audit_record(
        tenant=stored.tenant,
        actor=by,
        action="einvoicing.payment_report_answered",
        obj=stored,
        after={"state": stored.get_state_display(), "reason": stored.reason},
    )
    return stored
