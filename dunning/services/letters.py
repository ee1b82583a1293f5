"""Formal notices (mises en demeure): the figures they claim, their PDF, and a notice
written again when it went stale in the print queue."""

import hashlib
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import formats, translation
from django.utils.translation import gettext as _
from weasyprint import HTML

from dunning import penalties
from dunning.models import Letter, RateSemester
from invoices import amounts
from invoices.models import Allocation, Invoice, Payment
from invoices.pdf import _logo_data_uri, pdf_stylesheet
from portage.money import ZERO
from portage.services import audit_record


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


def letter_totals(lines):
    """What a letter of `lines` claims: the balance, the penalties (those accrued on the
    parts paid late included), the indemnities, and their total."""
    balance = sum((Decimal(line["balance"]) for line in lines), ZERO)
    penalty_total = sum((Decimal(line["penalty"]) for line in lines), ZERO)
    indemnities = sum((Decimal(line["indemnity"]) for line in lines), ZERO)
    return {
        "balance": balance,
        "penalties": penalty_total,
        "indemnities": indemnities,
        "total_claimed": balance + penalty_total + indemnities,
    }


def letter_create(*, tenant, client, lines, letter_date, deadline_days, replaces=None):
    """The formal notice of `lines` (see `claim_lines`), rendered and stored, claiming
    `letter_totals`; `replaces` is the stale letter it is written again for."""
    letter = Letter.objects.create(
        tenant=tenant,
        client=client,
        letter_date=letter_date,
        deadline=letter_date + timedelta(days=deadline_days),
        lines=lines,
        replaces=replaces,
        **letter_totals(lines),
    )
    content = render_letter_pdf(letter)
    letter.pdf.save(
        f"{tenant.pk}/mise-en-demeure-{letter.pk}.pdf", ContentFile(content), save=False
    )
    letter.pdf_sha256 = hashlib.sha256(content).hexdigest()
    letter.save(update_fields=["pdf", "pdf_sha256"])
    return letter


# A stale formal notice


def letter_is_stale(letter, *, today):
    """A formal notice still waiting to be posted after its final deadline: posted as it
    is, it would give the client a deadline already gone and claim penalties stopped at a
    past date, so it is not posted but written again (`letter_regenerate`)."""
    return letter.posting == Letter.Posting.TO_POST and letter.deadline < today


def stale_letters(*, today):
    """The formal notices `letter_is_stale` on `today`."""
    return Letter.objects.filter(posting=Letter.Posting.TO_POST, deadline__lt=today)


def regeneration_lines(letter, *, today):
    """The lines the letter written again on `today` would state: the invoices it listed
    that are still unpaid, their penalties counted to `today`. Raises ValidationError when
    none is left to claim or when a reference rate is missing."""
    still_owed = {
        invoice.pk: invoice
        for invoice in Invoice.objects.filter(
            amounts.is_open(), pk__in=[line["invoice_pk"] for line in letter.lines]
        )
        if invoice.balance > 0
    }
    invoices = [
        still_owed[line["invoice_pk"]] for line in letter.lines if line["invoice_pk"] in still_owed
    ]
    if not invoices:
        raise ValidationError(
            _(
                "Every invoice of this formal notice has been paid or credited: "
                "nothing is left to claim."
            )
        )
    try:
        return claim_lines(invoices, today)
    except penalties.RatesMissing as error:
        raise ValidationError(
            _(
                "The penalties to %(day)s need reference rates not entered yet "
                "(%(missing)s): enter them first."
            )
            % {"day": formats.date_format(today, "SHORT_DATE_FORMAT"), "missing": error}
        ) from error


def regeneration_preview(letter, *, today):
    """What `letter_regenerate` would write on `today`, for the collector to confirm: the
    lines, their `letter_totals` and the new final deadline."""
    lines = regeneration_lines(letter, today=today)
    return {
        "lines": lines,
        "deadline": today + (letter.deadline - letter.letter_date),
        **letter_totals(lines),
    }


@transaction.atomic
def letter_regenerate(*, letter, actor, today):
    """Writes a stale formal notice again (`letter_is_stale`): dated `today`, the invoices
    still unpaid with their late penalties counted to `today` (Code de commerce L441-10) and
    the 40 EUR indemnity each (D441-5), a new final deadline as many days after as the old
    one gave. The old letter is kept, marked replaced, with the new one naming it; the
    database lets a letter be replaced once. Returns the new letter."""
    letter = Letter.objects.select_for_update().get(pk=letter.pk)
    if letter.posting != Letter.Posting.TO_POST:
        raise ValidationError(
            _(
                "Only a formal notice waiting to be posted can be written again; "
                "this one is: %(posting)s."
            )
            % {"posting": letter.get_posting_display()}
        )
    if not letter_is_stale(letter, today=today):
        raise ValidationError(_("This formal notice's deadline has not passed: post it as it is."))
    lines = regeneration_lines(letter, today=today)
    new = letter_create(
        tenant=letter.tenant,
        client=letter.client,
        lines=lines,
        letter_date=today,
        deadline_days=(letter.deadline - letter.letter_date).days,
        replaces=letter,
    )
    letter.posting = Letter.Posting.REPLACED
    letter.save(update_fields=["posting"])
    audit_record(
        tenant=letter.tenant,
        actor=actor,
        action="dunning.letter_regenerated",
        obj=new,
        before={
            "letter": letter.pk,
            "letter_date": letter.letter_date.isoformat(),
            "deadline": letter.deadline.isoformat(),
            "penalties": str(letter.penalties),
            "total_claimed": str(letter.total_claimed),
        },
        after={
            "letter": new.pk,
            "letter_date": new.letter_date.isoformat(),
            "deadline": new.deadline.isoformat(),
            "penalties": str(new.penalties),
            "total_claimed": str(new.total_claimed),
        },
    )
    return new


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
