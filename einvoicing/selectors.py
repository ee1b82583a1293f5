"""What e-invoicing knows, for the pages, the collections ladder and credit insurance."""

from collections import defaultdict

from django.db.models import OuterRef, Q

from einvoicing.models import (
    CollectionReport,
    LifecycleStatus,
    Outgoing,
    PaymentReport,
    PlatformAccount,
    Submission,
)
from invoices.models import Client, Invoice
from invoices.totals import compute_totals
from portage.money import ZERO

# An invoice deposited with the platform is legally issued once the platform took it (200)
# and did not reject it (213); until then, and after a rejection, it was never issued.
NOT_ISSUED = [
    Submission.State.TO_SEND,
    Submission.State.BLOCKED,
    Submission.State.TO_UPLOAD,
    Submission.State.SENT,
    Submission.State.REJECTED,
    Submission.State.FAILED,
]
TO_FIX = [Submission.State.BLOCKED, Submission.State.REJECTED, Submission.State.FAILED]
# The buyer's statuses that stop the ladder: refused, disputed, suspended.
BUYER_OBJECTIONS = ("210", "207", "208")


def vat_shares(invoice):
    """The invoice's amount incl. VAT per VAT rate, less what its credit notes cancelled at
    each rate: ((rate, TTC), ...) by rate, descending, without the rates left at zero. Each
    document's breakdown is its own, as printed (`compute_totals`); a payment is spread over
    these shares by `rules.collected_by_rate`."""
    shares = defaultdict(lambda: ZERO)
    documents = [(invoice, 1)] + [
        (note, -1) for note in invoice.credit_notes.filter(kind=Invoice.Kind.CREDIT_NOTE)
    ]
    for document, sign in documents:
        for rate, base, vat in compute_totals(document.lines.all()).vat_breakdown:
            shares[rate] += sign * (base + vat)
    return tuple(
        (rate, share) for rate, share in sorted(shares.items(), reverse=True) if share != ZERO
    )


def platform_account():
    """The current company's account with its plateforme agréée, or None."""
    return PlatformAccount.objects.first()


def goes_through_platform(client):
    """Whether the company's invoices to `client` are e-invoices (CGI art. 289 bis): a
    French company (B2B) with a SIREN. Individuals (B2C) and foreign clients are reported
    through the payment e-reporting instead (CGI art. 290 A); public entities receive
    theirs on Chorus Pro, which the platform does not reach yet."""
    return (
        client.country == "FR"
        and bool(client.siren)
        and client.category in (Client.Category.PRIVATE, Client.Category.RELATED)
    )


def reported_by_ereporting(client):
    """Whether payments from `client` go into the payment e-reporting: an individual, or a
    client established abroad (CGI art. 290 A)."""
    return client.category == Client.Category.INDIVIDUAL or client.country != "FR"


def in_scope(invoice, account):
    """Whether the invoice was issued while the company had to issue through its platform."""
    return account is not None and invoice.issue_date >= account.in_scope_from


def not_issued_q(prefix=""):
    """A Q on Invoice (or on a model reaching it through `prefix`, e.g. "invoice__") for the
    invoices the platform has not taken, or rejected: never legally issued."""
    return Q(**{f"{prefix}submissions__state__in": NOT_ISSUED})


def not_issued(invoice_ids):
    """{invoice id: the submission} for the invoices among `invoice_ids` not legally issued."""
    return {
        submission.invoice_id: submission
        for submission in Submission.objects.filter(
            invoice_id__in=list(invoice_ids), state__in=NOT_ISSUED
        )
    }


def submission_of(invoice):
    return Submission.objects.filter(invoice=invoice).first()


def status_history(invoice):
    """The invoice's lifecycle statuses, oldest first."""
    return list(
        LifecycleStatus.objects.filter(invoice=invoice)
        .select_related("entered_by")
        .order_by("issued_at", "id")
    )


def deposit_state_from_statuses(invoice):
    """What the platform's statuses say of the invoice's deposit: rejected once a 213
    Rejetée came, deposited once a 200 Déposée did, else None (nothing said yet)."""
    codes = set(
        LifecycleStatus.objects.filter(invoice=invoice, code__in=("200", "213")).values_list(
            "code", flat=True
        )
    )
    if "213" in codes:
        return Submission.State.REJECTED
    if "200" in codes:
        return Submission.State.DEPOSITED
    return None


def client_statuses(client, *, limit=300):
    return list(
        LifecycleStatus.objects.filter(invoice__client=client)
        .select_related("invoice", "entered_by")
        .order_by("-issued_at", "-id")[:limit]
    )


def to_fix():
    """Deposits to fix: not sent (no directory entry, a rule broken), rejected by the
    platform, or failed."""
    return (
        Submission.objects.filter(state__in=TO_FIX)
        .select_related("invoice__client")
        .order_by("invoice__issue_date", "invoice__number")
    )


def to_upload():
    return (
        Submission.objects.filter(state=Submission.State.TO_UPLOAD)
        .select_related("invoice__client")
        .order_by("invoice__issue_date", "invoice__number")
    )


def buyer_objections():
    """Open invoices whose last buyer status is a refusal, a dispute or a suspension."""
    latest_buyer = (
        LifecycleStatus.objects.filter(invoice=OuterRef("invoice"), sender="buyer")
        .order_by("-issued_at", "-id")
        .values("pk")[:1]
    )
    return (
        LifecycleStatus.objects.filter(pk__in=latest_buyer, code__in=BUYER_OBJECTIONS)
        .filter(
            invoice__status__in=[Invoice.Status.ISSUED, Invoice.Status.PARTIALLY_PAID],
        )
        .select_related("invoice__client")
        .order_by("-issued_at")
        .distinct()
    )


def reports_pending():
    """Statuses 212 not yet accepted by the platform."""
    return (
        CollectionReport.objects.exclude(state__in=[Outgoing.SENT, Outgoing.ACCEPTED])
        .select_related("invoice__client")
        .order_by("created_at")
    )


def payment_reports():
    return PaymentReport.objects.order_by("-period_start")
