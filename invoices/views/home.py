"""Billing's part of the collector's home."""

from invoices import selectors
from invoices.models import BankLine, Invoice
from portage.batch import paris_today
from portage.signals import HomePanel


def collector_home_panels(sender, request, **kwargs):
    """Billing's part of the collector's home (answers `home_panels`): overdue invoices,
    bank credits to match, drafts to issue, and the longest overdue."""
    today = paris_today()
    context = {
        "today": today,
        "overdue": selectors.overdue_summary(tenant=request.tenant, today=today),
        "drafts": Invoice.objects.filter(
            tenant=request.tenant, status=Invoice.Status.DRAFT
        ).count(),
        "bank_waiting": BankLine.objects.filter(
            tenant=request.tenant,
            status__in=[BankLine.Status.SUGGESTED, BankLine.Status.UNMATCHED],
        ).count(),
        "most_overdue": selectors.open_invoices()
        .filter(tenant=request.tenant, due_date__lt=today)
        .select_related("client", "consultant__user")
        .order_by("due_date")[:10],
    }
    return [HomePanel(order=40, template="invoices/home/collector.html", context=context)]


def admin_home_panels(sender, request, **kwargs):
    """Billing's figures on the administrator's home (answers `home_panels`): what clients
    owe, what of it is overdue, and the days of sales outstanding."""
    today = paris_today()
    context = {"today": today, **selectors.receivables(tenant=request.tenant, today=today)}
    return [HomePanel(order=15, template="invoices/home/admin.html", context=context)]
