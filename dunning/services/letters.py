"""Formal notices (mises en demeure): the figures they claim and their PDF."""

import hashlib
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from django.utils import translation
from weasyprint import HTML

from dunning import penalties
from dunning.models import Letter, RateSemester
from invoices.models import Allocation, Payment
from invoices.pdf import _logo_data_uri, pdf_stylesheet
from portage.money import ZERO


def rates_table(half_years):
    """The company's reference rates of `half_years`, as `penalty_schedule` reads them; a
    half-year not in the table is simply absent."""
    wanted = set(half_years)
    if not wanted:
        return {}
    years = {half_year.year for half_year in wanted}
    table = {}
    for row in RateSemester.objects.filter(year__in=years):
        half_year = penalties.HalfYear(row.year, row.half)
        if half_year in wanted:
            table[half_year] = penalties.Rates(ecb_rate=row.ecb_rate, legal_rate=row.legal_rate)
    return table


def contract_rate_of(invoice):
    """The contract rate printed on the invoice when it was issued, or None."""
    rate = invoice.seller.get("late_penalty_rate")
    return Decimal(rate) if rate else None


def payments_by_invoice(invoices):
    """(day paid, amount) of each allocation in force, per invoice: the day is the payment's,
    since the client's money was received that day."""
    found = defaultdict(list)
    allocations = Allocation.objects.filter(
        invoice__in=[invoice.pk for invoice in invoices],
        is_active=True,
        payment__status=Payment.Status.ACTIVE,
    ).values_list("invoice_id", "payment__received_on", "amount")
    for invoice_pk, received_on, amount in allocations.order_by("payment__received_on", "id"):
        found[invoice_pk].append((received_on, amount))
    return found


def invoice_schedules(invoices, on_date):
    """The penalty schedule of each invoice on `on_date`, by invoice pk. Raises
    `penalties.RatesMissing` naming every rate missing over all the invoices."""
    invoices = list(invoices)
    first_day = min((invoice.due_date for invoice in invoices), default=on_date)
    rates = rates_table(penalties.half_years(first_day, max(first_day, on_date)))
    payments = payments_by_invoice(invoices)
    schedules, missing = {}, []
    for invoice in invoices:
        try:
            schedules[invoice.pk] = penalties.penalty_schedule(
                amount_due=invoice.due,
                due_date=invoice.due_date,
                payments=payments[invoice.pk],
                on_date=on_date,
                contract_rate=contract_rate_of(invoice),
                rates=rates,
            )
        except penalties.RatesMissing as error:
            missing.extend(error.missing)
    if missing:
        raise penalties.RatesMissing(missing)
    return schedules


def claim_lines(invoices, on_date):
    """One line per invoice: its balance, days late, penalty schedule (each amount, each
    half-year, its days and rate), penalties and the indemnity. Raises
    `penalties.RatesMissing` when a rate it needs is not in the table."""
    schedules = invoice_schedules(invoices, on_date)
    lines = []
    for invoice in invoices:
        balance = invoice.balance
        schedule = schedules[invoice.pk]
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
                "schedule": [
                    {
                        "amount": str(line.amount),
                        "paid_on": line.paid_on.isoformat() if line.paid_on else None,
                        "start": line.start.isoformat(),
                        "end": line.end.isoformat(),
                        "days": line.days,
                        "rate": str(line.rate),
                        "rate_source": line.source,
                        "penalty": str(line.penalty),
                    }
                    for line in schedule.lines
                ],
                "penalty_on_paid_parts": str(schedule.on_paid_parts),
                "penalty": str(schedule.total),
                "indemnity": str(penalties.RECOVERY_INDEMNITY if days > 0 else ZERO),
            }
        )
    return lines


def letter_create(*, tenant, client, lines, letter_date, deadline_days):
    """The formal notice of `lines` (see `claim_lines`), rendered and stored. The total
    claimed is the balance, the penalties (those accrued on the parts paid late included)
    and the indemnities."""
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
            {
                **line,
                "schedule": [
                    {**part, "rate_source_label": RATE_SOURCES.get(part["rate_source"], "")}
                    for part in line.get("schedule", [])
                ],
            }
            for line in letter.lines
        ]
        html = render_to_string(
            "dunning/pdf/formal_notice.html",
            {
                "letter": letter,
                "tenant": tenant,
                "client": letter.client,
                "lines": lines,
                "penalties_on_paid_parts": sum(
                    (Decimal(line.get("penalty_on_paid_parts", "0")) for line in letter.lines),
                    ZERO,
                ),
                "logo": _logo_data_uri(tenant),
            },
        )
        return HTML(string=html).write_pdf(
            stylesheets=[pdf_stylesheet("dunning/pdf/formal_notice.css")]
        )
