"""Formal notices (mises en demeure): the figures they claim and their PDF."""

import hashlib
from datetime import timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from django.utils import translation
from weasyprint import HTML

from dunning import penalties
from dunning.models import Letter, RateSemester
from invoices.pdf import _logo_data_uri, pdf_stylesheet
from portage.money import ZERO


def reference_rates(day):
    """The half-year rates in force on `day`: that half-year's row, else the latest one
    before it (the admin has not entered the new half-year yet)."""
    year, half = penalties.half_year(day)
    return RateSemester.objects.filter(_at_or_before(year, half)).order_by("-year", "-half").first()


def _at_or_before(year, half):
    from django.db.models import Q

    return Q(year__lt=year) | Q(year=year, half__lte=half)


def rate_for(invoice, known=None):
    """The penalty rate of an invoice: its contract rate (frozen at issue), else ECB + 10,
    never under 3 × the legal rate, of the half-year in which lateness began. `known`
    caches the half-years already read."""
    contract = invoice.seller.get("late_penalty_rate")
    start = penalties.lateness_start(invoice.due_date)
    known = {} if known is None else known
    half = penalties.half_year(start)
    if half not in known:
        known[half] = reference_rates(start)
    rates = known[half]
    return penalties.penalty_rate(
        contract_rate=Decimal(contract) if contract else None,
        ecb_rate=rates.ecb_rate if rates else None,
        legal_rate=rates.legal_rate if rates else None,
    )


def claim_lines(invoices, on_date):
    """One line per invoice: its balance, days late, rate, penalties and the indemnity."""
    lines = []
    known = {}
    for invoice in invoices:
        balance = invoice.total_ttc - invoice.paid_amount - invoice.credited_amount
        rate = rate_for(invoice, known)
        days = penalties.days_late(invoice.due_date, on_date)
        lines.append(
            {
                "invoice_pk": invoice.pk,
                "number": invoice.number,
                "issue_date": invoice.issue_date.isoformat(),
                "due_date": invoice.due_date.isoformat(),
                "total_ttc": str(invoice.total_ttc),
                "balance": str(balance),
                "days_late": days,
                "rate": str(rate.rate),
                "rate_source": rate.source,
                "penalty": str(
                    penalties.late_penalty(balance, rate.rate, invoice.due_date, on_date)
                ),
                "indemnity": str(penalties.RECOVERY_INDEMNITY if days > 0 else ZERO),
            }
        )
    return lines


def letter_create(*, tenant, client, invoices, letter_date, deadline_days):
    lines = claim_lines(invoices, letter_date)
    balance = sum((Decimal(line["balance"]) for line in lines), ZERO)
    penalty_total = sum((Decimal(line["penalty"]) for line in lines), ZERO)
    indemnities = sum((Decimal(line["indemnity"]) for line in lines), ZERO)
    letter = Letter.objects.create(
        tenant=tenant,
        client=client,
        letter_date=letter_date,
        deadline=letter_date + timedelta(days=deadline_days),
        lines=lines,
        balance=balance,
        penalties=penalty_total,
        indemnities=indemnities,
        total_claimed=balance + penalty_total + indemnities,
    )
    content = render_letter_pdf(letter)
    letter.pdf.save(
        f"{tenant.pk}/mise-en-demeure-{letter.pk}.pdf", ContentFile(content), save=False
    )
    letter.pdf_sha256 = hashlib.sha256(content).hexdigest()
    letter.save(update_fields=["pdf", "pdf_sha256"])
    return letter


RATE_SOURCES = {
    "contract": "taux contractuel",
    "ecb_plus_10": "taux BCE + 10 points",
    "legal_floor": "3 × le taux d'intérêt légal",
}


def render_letter_pdf(letter):
    """The letter in French, on the company's letterhead."""
    tenant = letter.tenant
    with translation.override("fr"):
        lines = [
            {**line, "rate_source_label": RATE_SOURCES.get(line["rate_source"], "")}
            for line in letter.lines
        ]
        html = render_to_string(
            "dunning/pdf/formal_notice.html",
            {
                "letter": letter,
                "tenant": tenant,
                "client": letter.client,
                "lines": lines,
                "logo": _logo_data_uri(tenant),
            },
        )
        return HTML(string=html).write_pdf(
            stylesheets=[pdf_stylesheet("dunning/pdf/formal_notice.css")]
        )
