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

Here each report is made and its task sent after the commit; what the task runs, the
sending (`collection_report_send`, `payment_report_send`) and the split by rate each 212
states (`amounts_by_rate`), is `einvoicing.services.transmit`'s.
"""

import calendar
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from einvoicing.models import (
    CollectionReport,
    Outgoing,
    PaymentReport,
    PlatformAccount,
)
from einvoicing.rules import collected_by_rate
from einvoicing.selectors import (
    in_scope,
    platform_account,
    reported_by_ereporting,
    vat_shares,
)
from einvoicing.services.transmit import amounts_as_json, amounts_by_rate
from einvoicing.tasks import send_collection_report_task, send_payment_report_task
from invoices.models import Allocation, Invoice
from portage.money import ZERO
from portage.services import audit_record


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


def _keep_amounts_by_rate(report):
    report.amounts_by_rate = amounts_as_json(amounts_by_rate(report))
    report.save(update_fields=["amounts_by_rate"])


def send_after_commit(report):
    send_collection_report_task.delay_on_commit(tenant_id=report.tenant_id, report_pk=report.pk)


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
                "amounts_by_rate": amounts_as_json(
                    collected_by_rate(difference, vat_shares(invoice))
                ),
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
    send_payment_report_task.delay_on_commit(tenant_id=tenant.pk, report_pk=report.pk)
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
