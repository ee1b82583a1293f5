"""Reads for consultants and their activity account."""

from django.db.models import DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

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


def consultants_with_balance(*, tenant):
    """The consultants with their activity account's balance (`balance`, the sum of the
    entries, as `account_balance` gives it for one), in one query."""
    balances = (
        LedgerEntry.objects.filter(consultant=OuterRef("pk"))
        .values("consultant")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    money = DecimalField(max_digits=14, decimal_places=2)
    return (
        Consultant.objects.filter(tenant=tenant)
        .select_related("user")
        .annotate(
            balance=Coalesce(
                Subquery(balances, output_field=money), Value(ZERO), output_field=money
            )
        )
    )
