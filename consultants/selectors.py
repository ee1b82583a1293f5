"""Reads for consultants and their activity account."""

from django.db.models import Sum

from consultants.models import Consultant, LedgerEntry
from portage.money import ZERO


def consultant_of(*, user, tenant):
    """The consultant profile of a signed-in user in this tenant, or None."""
    return Consultant.objects.filter(tenant=tenant, user=user).select_related("user").first()


def account_balance(*, consultant):
    """The activity account's balance: the sum of its entries (what the company owes)."""
    total = LedgerEntry.objects.filter(consultant=consultant).aggregate(total=Sum("amount"))
    return total["total"] or ZERO


def ledger_of(*, consultant):
    return LedgerEntry.objects.filter(consultant=consultant).order_by("-booked_on", "-id")


def invoice_ledger_sums(*, consultant, invoice_pks):
    """{invoice pk: {kind: sum}} of the entries born of these invoices."""
    rows = (
        LedgerEntry.objects.filter(consultant=consultant, invoice_pk__in=invoice_pks)
        .values("invoice_pk", "kind")
        .annotate(total=Sum("amount"))
    )
    sums = {}
    for row in rows:
        sums.setdefault(row["invoice_pk"], {})[row["kind"]] = row["total"]
    return sums


def consultants_of(*, tenant):
    return (
        Consultant.objects.filter(tenant=tenant).select_related("user").order_by("user__full_name")
    )
