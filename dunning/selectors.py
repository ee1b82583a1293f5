"""Reads of the collections ladder: the worklist, a client's timeline, an invoice's place on
the ladder (for the portal), the consultant's reminder tasks."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, F, Min, Prefetch, Q, Sum, Window
from django.db.models.functions import Coalesce, Lower, RowNumber
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dunning import penalties
from dunning.models import (
    Acknowledgement,
    Action,
    Case,
    ContactLog,
    Letter,
    LitigationFile,
    Message,
    Pause,
    RateSemester,
    Step,
)
from dunning.signals import invoice_facts, timeline_sources
from einvoicing import selectors as einvoicing
from invoices import amounts
from invoices.models import Client, Invoice, Payment
from invoices.selectors import bank_credits_proposed, open_invoices
from portage.money import ZERO
from portage.templatetags.portage import euros, percent


def annotate(invoices):
    """The facts the apps above set on `invoices` (see `dunning.signals.invoice_facts`)."""
    invoice_facts.send(sender=Invoice, invoices=invoices)
    return invoices


def bank_holds(invoice_ids):
    """The invoices whose next step waits for a bank credit proposed for them: {invoice id:
    the reason, in words}.

    Money that seems to be in the bank already is not chased: neither the client's next
    reminder nor the consultant's is sent until a collector confirms the credit (it becomes
    a payment) or sets it aside. The case stays active; the hold is read each day, so it
    ends as soon as the bank line is dealt with."""
    return {
        invoice_id: bank_hold_reason(suggestion)
        for invoice_id, suggestion in bank_credits_proposed(invoice_ids).items()
    }


def bank_hold_reason(suggestion):
    return _(
        "Held: a bank credit of %(amount)s received on %(day)s is proposed for this invoice; "
        "the next step waits until it is confirmed or set aside."
    ) % {"amount": euros(suggestion.line.amount), "day": f"{suggestion.line.booking_date:%d/%m/%Y}"}


def set_bank_holds(invoices):
    """Sets `bank_hold` on each invoice: why its next step waits (a bank credit proposed
    for it), or ""."""
    held = bank_holds(invoice.pk for invoice in invoices)
    for invoice in invoices:
        invoice.bank_hold = held.get(invoice.pk, "")
    return invoices


def overdue_invoices(today):
    """Open issued invoices past their due date, with what the worklist shows of them."""
    return (
        open_invoices()
        .filter(due_date__lt=today)
        .annotate(balance_due=amounts.balance())
        .filter(balance_due__gt=0)
        .select_related("client", "consultant__user")
        .prefetch_related(
            Prefetch(
                "dunning_cases",
                queryset=Case.objects.select_related("last_step", "next_step"),
                to_attr="cases",
            )
        )
    )


# A client's rows on the worklist: its most overdue invoices; the others are on its timeline.
INVOICES_SHOWN = 5


@dataclass
class ClientRow:
    """A client on the worklist: its totals over all its overdue invoices, and the first
    `INVOICES_SHOWN` of them (the most overdue first)."""

    client: object
    invoices: list = field(default_factory=list)
    invoice_count: int = 0
    total: Decimal = ZERO
    oldest_days: int = 0
    next_on: date | None = None
    states: set = field(default_factory=set)

    @property
    def consultants(self):
        return sorted({str(invoice.consultant) for invoice in self.invoices})

    @property
    def more(self):
        """How many of its overdue invoices are not shown (listed on its timeline)."""
        return self.invoice_count - len(self.invoices)


# Sort key: (the ORDER BY of the clients' rows, label).
SORTS = {
    "amount": ([F("total").desc()], _("Amount")),
    "late": (["oldest_due"], _("Days late")),
    "next": ([F("next_on").asc(nulls_last=True)], _("Next step")),
    "client": (["name"], _("Client")),
}


def worklist(*, today, consultant=None, state="", step="", minimum=None, query="", sort="amount"):
    """Overdue invoices grouped by client, each with its case (step, next step and date).

    The clients are counted, sorted and cut into pages by PostgreSQL (one row per client);
    only the clients of the page shown are read invoice by invoice. A company with ten
    thousand overdue invoices took seconds when every one of them was read for each page."""
    invoices = overdue_invoices(today)
    if consultant:
        invoices = invoices.filter(consultant=consultant)
    if query:
        invoices = invoices.filter(
            Q(client__legal_name__icontains=query) | Q(number__icontains=query)
        )
    if state:
        invoices = invoices.filter(dunning_cases__state=state)
    if step:
        invoices = invoices.filter(dunning_cases__last_step__kind=step)
    groups = (
        invoices.order_by()
        .values("client_id")
        .annotate(
            total=Sum("balance_due"),
            invoice_count=Count("id"),
            oldest_due=Min("due_date"),
            next_on=Min("dunning_cases__next_step_on"),
            name=Lower("client__legal_name"),
        )
    )
    if minimum is not None:
        groups = groups.filter(total__gte=minimum)
    order = SORTS.get(sort, SORTS["amount"])[0]
    return Worklist(today=today, invoices=invoices, groups=groups.order_by(*order, "client_id"))


class Worklist:
    """The worklist's client rows, in order, as a sequence a paginator slices: the rows of a
    slice are built from their clients' invoices only."""

    def __init__(self, *, today, invoices, groups):
        self.today = today
        self.invoices = invoices
        self.groups = groups

    def count(self):
        return self.groups.count()

    def __len__(self):
        return self.count()

    def __getitem__(self, index):
        if isinstance(index, slice):
            return self.rows(self.groups[index])
        return self.rows(self.groups[index : index + 1])[0]

    def __iter__(self):
        return iter(self.rows(self.groups))

    def totals(self):
        return self.groups.aggregate(
            clients=Count("client_id"),
            invoices=Coalesce(Sum("invoice_count"), 0),
            amount=Coalesce(Sum("total"), ZERO),
        )

    def rows(self, groups):
        """The rows of these client groups: their totals from the groups (over all their
        overdue invoices), and only their first `INVOICES_SHOWN` invoices read, ranked by
        PostgreSQL within each client."""
        groups = list(groups)
        rows = {
            group["client_id"]: ClientRow(
                client=None,
                invoice_count=group["invoice_count"],
                total=group["total"],
                oldest_days=(self.today - group["oldest_due"]).days,
                next_on=group["next_on"],
            )
            for group in groups
        }
        shown = (
            self.invoices.filter(client_id__in=list(rows))
            .annotate(
                rank=Window(
                    RowNumber(),
                    partition_by=[F("client_id")],
                    order_by=[F("due_date").asc(), F("id").asc()],
                )
            )
            .filter(rank__lte=INVOICES_SHOWN)
            .order_by("due_date", "id")
        )
        for invoice in shown:
            invoice.case = invoice.cases[0] if invoice.cases else None
            invoice.days_late = (self.today - invoice.due_date).days
            row = rows[invoice.client_id]
            row.client = invoice.client
            row.invoices.append(invoice)
            if invoice.case:
                row.states.add(invoice.case.state)
        ordered = [rows[group["client_id"]] for group in groups]
        ordered = [row for row in ordered if row.client is not None]
        shown = [invoice for row in ordered for invoice in row.invoices]
        set_bank_holds(shown)
        annotate(shown)
        return ordered


def worklist_totals(rows):
    return rows.totals()


def client_ladder(client, today):
    """The client's open invoices with their case, open pauses and steps done."""
    invoices = list(
        open_invoices()
        .filter(client=client)
        .annotate(balance_due=amounts.balance())
        .filter(balance_due__gt=0)
        .select_related("consultant__user")
        .order_by("due_date", "id")
    )
    cases = {
        case.invoice_id: case
        for case in Case.objects.filter(invoice__in=invoices).select_related(
            "last_step", "next_step", "policy"
        )
    }
    pauses = {}
    for pause in Pause.objects.filter(case__invoice__in=invoices, ended_on__isnull=True):
        pauses.setdefault(pause.case.invoice_id, []).append(pause)
    for invoice in invoices:
        invoice.case = cases.get(invoice.pk)
        invoice.open_pauses = pauses.get(invoice.pk, [])
        invoice.days_late = (today - invoice.due_date).days
    set_bank_holds(invoices)
    return annotate(invoices)


@dataclass
class Event:
    day: date
    kind: str
    title: str
    detail: str = ""
    url: str = ""
    actor: str = ""
    tone: str = ""
    at: object = None

    @property
    def sort_key(self):
        return (self.day, self.at.timestamp() if self.at else 0)


def client_timeline(client, *, limit=300):
    """Everything that happened with a client, newest first: invoices, payments, ladder
    steps, messages, letters, contacts, pauses and disputes, litigation, acknowledgements."""
    events = []
    for invoice in Invoice.objects.filter(client=client).exclude(status=Invoice.Status.DRAFT):
        label = _("Credit note") if invoice.kind == Invoice.Kind.CREDIT_NOTE else _("Invoice")
        events.append(
            Event(
                day=invoice.issue_date,
                kind="invoice",
                title=f"{label} {invoice.number}",
                detail=_("%(amount)s incl. VAT, due %(due)s")
                % {"amount": _money(invoice.total_ttc), "due": _day(invoice.due_date)},
                url=reverse("invoice_detail", args=[invoice.pk]),
                at=invoice.issued_at,
            )
        )
    for payment in Payment.objects.filter(client=client):
        events.append(
            Event(
                day=payment.received_on,
                kind="payment",
                title=_("Payment received")
                if payment.status != "reversed"
                else _("Payment reversed"),
                detail=f"{_money(payment.amount)} {payment.reference}".strip(),
                url=reverse("payment_detail", args=[payment.pk]),
                tone="ok" if payment.status != "reversed" else "warn",
                at=payment.created_at,
            )
        )
    for suggestion in bank_credits_proposed(
        Invoice.objects.filter(client=client).values_list("pk", flat=True)
    ).values():
        line = suggestion.line
        events.append(
            Event(
                day=line.booking_date,
                kind="payment",
                title=_("Bank credit to confirm — %(invoice)s") % {"invoice": suggestion.invoice},
                detail=_("%(amount)s; the invoice's next step waits until it is confirmed")
                % {"amount": _money(line.amount)},
                tone="warn",
            )
        )
    for action in (
        Action.objects.filter(case__client=client)
        .filter(Q(status=Action.Status.SKIPPED) | Q(message__isnull=True, letter__isnull=True))
        .select_related("invoice", "performed_by", "litigation")
    ):
        skipped = action.status == Action.Status.SKIPPED
        events.append(
            Event(
                day=action.performed_on,
                kind="step",
                title=_("%(step)s skipped") % {"step": action.get_kind_display()}
                if skipped
                else action.get_kind_display(),
                detail=f"{action.invoice.number} — {action.reason}"
                if skipped
                else action.invoice.number,
                url=reverse("dunning_litigation", args=[action.litigation_id])
                if action.litigation_id
                else "",
                actor=_actor(action.performed_by),
                tone="muted" if skipped else "warn",
                at=action.created_at,
            )
        )
    for message in Message.objects.filter(client=client).select_related("consultant__user"):
        events.append(
            Event(
                day=message.step_day or (message.sent_at or message.created_at).date(),
                kind="message",
                title=message.subject,
                detail=_("Email to %(to)s — %(status)s")
                % {"to": ", ".join(message.to) or "—", "status": message.get_status_display()},
                url=reverse("dunning_message", args=[message.pk]),
                tone="bad" if message.status == Message.Status.FAILED else "",
                at=message.created_at,
            )
        )
    for letter in Letter.objects.filter(client=client):
        events.append(
            Event(
                day=letter.letter_date,
                kind="letter",
                title=_("Formal notice"),
                detail=_("%(total)s claimed, deadline %(deadline)s — %(posting)s")
                % {
                    "total": _money(letter.total_claimed),
                    "deadline": _day(letter.deadline),
                    "posting": letter.get_posting_display()
                    + (f" {letter.posting_reference}" if letter.posting_reference else ""),
                },
                url=reverse("dunning_letter_pdf", args=[letter.pk]),
                tone="warn",
                at=letter.created_at,
            )
        )
    for log in ContactLog.objects.filter(client=client).select_related("author", "invoice"):
        detail = log.text
        if log.promise_date:
            detail = _("Promised for %(day)s. %(text)s") % {
                "day": _day(log.promise_date),
                "text": log.text,
            }
        events.append(
            Event(
                day=log.happened_on,
                kind="contact",
                title=log.get_kind_display()
                + (f" — {log.invoice.number}" if log.invoice_id else ""),
                detail=detail.strip(),
                actor=_actor(log.author) + (f" ({_('consultant')})" if log.by_consultant else ""),
                at=log.created_at,
            )
        )
    for pause in Pause.objects.filter(case__client=client).select_related(
        "case__invoice", "created_by"
    ):
        events.append(
            Event(
                day=pause.starts_on,
                kind="pause",
                title=f"{pause.get_kind_display()} — {pause.case.invoice.number}",
                detail=" ".join(
                    part
                    for part in [
                        pause.reason,
                        _("until %(day)s") % {"day": _day(pause.until)} if pause.until else "",
                    ]
                    if part
                ),
                actor=_actor(pause.created_by),
                tone="muted",
                at=pause.created_at,
            )
        )
        if pause.ended_on:
            events.append(
                Event(
                    day=pause.ended_on,
                    kind="resume",
                    title=_("Ladder resumed — %(invoice)s")
                    % {"invoice": pause.case.invoice.number},
                    detail=pause.end_reason,
                    tone="muted",
                )
            )
    for litigation in LitigationFile.objects.filter(client=client):
        events.append(
            Event(
                day=litigation.opened_on,
                kind="litigation",
                title=_("Litigation file opened"),
                detail=f"{_money(litigation.amount)} — {litigation.get_state_display()}",
                url=reverse("dunning_litigation", args=[litigation.pk]),
                tone="bad",
                at=litigation.created_at,
            )
        )
    for ack in Acknowledgement.objects.filter(invoice__client=client).select_related(
        "invoice", "recorded_by"
    ):
        events.append(
            Event(
                day=ack.acknowledged_on,
                kind="acknowledgement",
                title=_("Debt acknowledged — %(invoice)s") % {"invoice": ack.invoice.number},
                detail=ack.evidence,
                actor=_actor(ack.recorded_by),
            )
        )
    events.extend(_lifecycle_events(client))
    for _receiver, answer in timeline_sources.send(sender=Client, client=client):
        events.extend(answer)
    events.sort(key=lambda event: event.sort_key, reverse=True)
    return events[:limit]


# E-invoicing statuses and how they read on the timeline: what stops the ladder is "bad".
LIFECYCLE_TONES = {
    "213": "bad",
    "210": "bad",
    "207": "bad",
    "208": "warn",
    "211": "ok",
    "212": "ok",
}


def _lifecycle_events(client):
    """The e-invoicing platform's statuses of the client's invoices, with the reason the
    buyer or the platform gives: why the ladder waits."""
    events = []
    for status in einvoicing.client_statuses(client):
        reason = " — ".join(part for part in (status.reason_code, status.reason_text) if part)
        events.append(
            Event(
                day=timezone.localtime(status.issued_at).date(),
                kind="einvoicing",
                title=_("%(code)s %(label)s — %(invoice)s")
                % {"code": status.code, "label": status.label, "invoice": status.invoice.number},
                detail=" ".join(
                    part for part in (status.get_sender_display() + " :", reason) if part
                ).rstrip(" :"),
                url=reverse("invoice_detail", args=[status.invoice_id]),
                actor=_actor(status.entered_by) if status.entered_by else _("E-invoicing platform"),
                tone=LIFECYCLE_TONES.get(status.code, "muted"),
                at=status.received_at,
            )
        )
    return events


def _actor(user):
    return user.get_full_name() if user else _("Automatic reminders")


def _money(value):
    return euros(value)


def _day(value):
    return f"{value:%d/%m/%Y}" if value else ""


def invoice_ladder(invoices):
    """For the portal: each invoice's current step and the next one with its date, and
    `bank_credit`, the client's payment seen at the bank for it and not confirmed yet (its
    `amount` and `day`; the reminders wait meanwhile, see `bank_holds`), or None."""
    cases = {
        case.invoice_id: case
        for case in Case.objects.filter(invoice__in=invoices).select_related(
            "last_step", "next_step"
        )
    }
    seen = bank_credits_proposed(invoice.pk for invoice in invoices)
    for invoice in invoices:
        invoice.case = cases.get(invoice.pk)
        suggestion = seen.get(invoice.pk)
        invoice.bank_credit = (
            {"amount": suggestion.line.amount, "day": suggestion.line.booking_date}
            if suggestion
            else None
        )
    return annotate(invoices)


TASK_DAYS = 30


def consultant_tasks(consultant, today):
    """The consultant's friendly reminders still to log: one per invoice (the latest ask),
    asked within the last 30 days, for invoices still on the ladder."""
    asks = (
        Action.objects.filter(
            invoice__consultant=consultant,
            kind="consultant_reminder",
            completed_at__isnull=True,
            performed_on__gte=today - timedelta(days=TASK_DAYS),
            status__in=[Action.Status.DONE, Action.Status.PENDING, Action.Status.FAILED],
            case__state__in=[Case.State.ACTIVE, Case.State.FAILED],
        )
        .select_related("invoice__client", "step")
        .order_by("-performed_on", "-id")
    )
    latest = {}
    for ask in asks:
        latest.setdefault(ask.invoice_id, ask)
    return sorted(latest.values(), key=lambda ask: (ask.invoice.due_date, ask.invoice_id))


def steps_of(policy):
    return list(Step.objects.filter(policy=policy).order_by("position"))


# Reference rates: what the penalties need and the table lacks, for the homes and the batch.

# In the first days of January and July the admin is reminded of the new half-year's rates.
RATES_REMINDER_DAYS = 15


def half_year_label(half_year):
    if half_year.half == 1:
        return _("first half of %(year)s (from 1 January)") % {"year": half_year.year}
    return _("second half of %(year)s (from 1 July)") % {"year": half_year.year}


def missing_rate_label(missing):
    """ "the legal interest rate of the second half of 2026 (from 1 July)"."""
    text = (
        _("the ECB main refinancing rate of the %(period)s")
        if missing.kind == penalties.ECB
        else _("the legal interest rate of the %(period)s")
    )
    return text % {"period": half_year_label(missing.half_year)}


def rates_absent(half_years, kind):
    """Of `half_years`, those whose `kind` of rate the table lacks."""
    if not half_years:
        return []
    column = "ecb_rate" if kind == penalties.ECB else "legal_rate"
    known = {
        penalties.HalfYear(year, half)
        for year, half in RateSemester.objects.filter(
            year__in={half_year.year for half_year in half_years}, **{f"{column}__isnull": False}
        ).values_list("year", "half")
    }
    return [
        penalties.MissingRate(half_year, kind) for half_year in half_years if half_year not in known
    ]


def rates_missing(*, today):
    """The reference rates the late penalties of today's overdue invoices need and the
    table lacks: the legal interest rate (for the floor of a contract rate) over the
    half-years an invoice with a contract rate has been late, the ECB rate over those of
    an invoice without one. A formal notice needing one of them waits for it."""
    no_contract = (
        Q(seller__late_penalty_rate__isnull=True)
        | Q(seller__late_penalty_rate="")
        | Q(seller__late_penalty_rate=None)
    )
    overdue = (
        open_invoices()
        .filter(due_date__lt=today)
        .annotate(balance_due=amounts.balance())
        .filter(balance_due__gt=0)
        .aggregate(
            with_contract=Min("due_date", filter=~no_contract),
            without=Min("due_date", filter=no_contract),
        )
    )
    missing = []
    for first_due, kind in [
        (overdue["with_contract"], penalties.LEGAL),
        (overdue["without"], penalties.ECB),
    ]:
        if first_due is not None:
            missing += rates_absent(
                penalties.half_years(first_due + timedelta(days=1), today), kind
            )
    return sorted(missing)


def rates_due(*, today):
    """In the first days of a half-year, its rates the admin has not entered yet."""
    if today.month not in (1, 7) or today.day > RATES_REMINDER_DAYS:
        return []
    current = [penalties.HalfYear.of(today)]
    return rates_absent(current, penalties.ECB) + rates_absent(current, penalties.LEGAL)


def rate_notices(*, tenant, today, can_enter):
    """What the homes say about the reference rates: those missing that hold formal notices
    back, the new half-year's rates due, and a contract rate now under its floor. Each
    notice links to the page where the rates are entered when the reader may enter them."""
    notices = []
    link = (
        {"url": reverse("dunning_rates"), "link": _("Enter the reference rates")}
        if can_enter
        else {"hint": _("An administrator enters them on the reference rates page.")}
    )
    missing = rates_missing(today=today)
    if missing:
        notices.append(
            {
                "level": "error",
                "text": _(
                    "Late penalties cannot be computed without %(rates)s: the formal "
                    "notices that need them wait until they are entered."
                )
                % {"rates": ", ".join(missing_rate_label(rate) for rate in missing)},
                **link,
            }
        )
    due = [rate for rate in rates_due(today=today) if rate not in missing]
    if due:
        notices.append(
            {
                "level": "warning",
                "text": _("A new half-year has begun: enter %(rates)s as soon as published.")
                % {"rates": ", ".join(missing_rate_label(rate) for rate in due)},
                **link,
            }
        )
    floor = _current_floor(today)
    if tenant.late_penalty_rate is not None and floor and tenant.late_penalty_rate < floor:
        notices.append(
            {
                "level": "warning",
                "text": _(
                    "Your contract rate of late penalties (%(rate)s) is under three times "
                    "the legal interest rate of this half-year (%(floor)s): penalties apply "
                    "%(floor)s for its days, and a rate under it is void (Code de commerce "
                    "L441-10 and L441-16). Raise it on the company page."
                )
                % {"rate": percent(tenant.late_penalty_rate), "floor": percent(floor)},
                **(
                    {"url": reverse("company_edit"), "link": _("Change the contract rate")}
                    if can_enter
                    else {}
                ),
            }
        )
    return notices


def _current_floor(today):
    half_year = penalties.HalfYear.of(today)
    legal_rate = (
        RateSemester.objects.filter(year=half_year.year, half=half_year.half)
        .values_list("legal_rate", flat=True)
        .first()
    )
    return penalties.contract_rate_floor(legal_rate) if legal_rate is not None else None
