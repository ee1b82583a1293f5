"""Journal entries (écritures comptables) of a period, read from what billing, payments and
credit insurance recorded: nothing is stored twice, the entries are derived when asked.

- Sales journal: an issued invoice debits the client's account (411, with the client as
  auxiliary account) with its total incl. VAT and credits sales (706) excl. VAT and the
  VAT collected of each rate (4457x); a credit note (avoir) is the reverse.
- Bank journal: money received debits the bank (512) and credits the client's account with
  the whole amount, allocated or not: what is not allocated yet is the client's credit, on
  the same account. A reversed payment is the reverse, on the day it was reversed.
- Credit insurance journal: an indemnity paid by the insurer debits the bank and credits
  the insurer's account (467, the insurer as auxiliary account). The client's debt stays
  whole on 411: the client still owes it, and a later payment is shared with the insurer
  (subrogation, Code des assurances L121-12). The loss (654) and the indemnity as income
  are booked by the accountant when the debt is written off.
- Opening balances journal (à-nouveaux), first in every export: what is still open on the
  clients' and the insurer's accounts the day before the period, piece by piece, against
  the opening balance sheet (890); see `_opening_entries`.

Entries are numbered in each journal in date order, from 1 in each export (EcritureNum).
"""

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from accounting.models import ChartOfAccounts
from insurance.models import Claim
from invoices.models import Allocation, Invoice, InvoiceLine, Payment
from invoices.totals import compute_totals
from portage.money import ZERO

# The longest period one export covers: a fiscal year, or a first one of up to 24 months.
MAX_PERIOD_DAYS = 731

# Entry labels are French on purpose: they are written into the FEC, a file for the
# French tax administration, whatever the language of whoever downloads it.
LABELS = {
    "invoice": "Facture",
    "credit_note": "Avoir",
    "payment": "Règlement",
    "reversal": "Annulation règlement",
    "indemnity": "Indemnité assurance-crédit",
    "opening": "À-nouveau",
}


@dataclass(frozen=True)
class Line:
    account: str
    account_label: str
    debit: Decimal
    credit: Decimal
    label: str
    aux_account: str = ""
    aux_label: str = ""
    lettering: str = ""
    lettering_date: date | None = None


@dataclass
class Entry:
    """An accounting entry: one piece (invoice, payment, indemnity), balanced lines."""

    journal: str
    journal_label: str
    date: date
    piece_ref: str
    piece_date: date
    label: str
    lines: list = field(default_factory=list)
    number: str = ""
    order: tuple = ()
    source: tuple = ()  # ("invoice" | "payment" | "reversal", pk): what the entry records

    @property
    def debit(self):
        return sum((line.debit for line in self.lines), ZERO)

    @property
    def credit(self):
        return sum((line.credit for line in self.lines), ZERO)

    @property
    def is_balanced(self):
        return self.debit == self.credit


def chart_of_accounts(*, tenant):
    """The company's chart, or the defaults while its admin has not changed them."""
    return ChartOfAccounts.objects.filter(tenant=tenant).first() or ChartOfAccounts(tenant=tenant)


def check_period(date_from, date_to):
    """Refuses a period without both ends, inverted, or longer than two years."""
    errors = {}
    if date_from is None:
        errors["date_from"] = _("Give the first day of the period.")
    if date_to is None:
        errors["date_to"] = _("Give the last day of the period.")
    if not errors and date_to < date_from:
        errors["date_to"] = _("The period ends before it starts.")
    if not errors and (date_to - date_from).days >= MAX_PERIOD_DAYS:
        errors["date_to"] = _("An export covers two years at most.")
    if errors:
        raise ValidationError(errors)


def check_balanced(entries):
    """Every entry's debits equal its credits, or nothing is exported."""
    unbalanced = [entry for entry in entries if not entry.is_balanced]
    if unbalanced:
        raise ValidationError(
            _("Entries %(numbers)s are not balanced: nothing was exported."),
            params={"numbers": ", ".join(e.number or e.piece_ref for e in unbalanced[:10])},
            code="unbalanced",
        )


def client_aux(client):
    """The client's auxiliary account (CompAuxNum) under the clients' control account."""
    return f"C{client.pk:06d}"


def insurer_aux(insurer):
    return f"A{insurer.pk:06d}"


def _vat_by_invoice(invoices):
    """{invoice pk: [(rate, VAT)]}: the VAT of each rate as the invoice printed it (its
    lines' breakdown, `invoices.totals.compute_totals`), without the rates whose VAT is
    zero."""
    lines = defaultdict(list)
    for line in InvoiceLine.objects.filter(invoice__in=[invoice.pk for invoice in invoices]).only(
        "invoice_id", "vat_rate", "total_ht"
    ):
        lines[line.invoice_id].append(line)
    return {
        pk: [(rate, vat) for rate, _base, vat in compute_totals(its_lines).vat_breakdown if vat]
        for pk, its_lines in lines.items()
    }


def _side(amount, *, debit):
    return {"debit": amount, "credit": ZERO} if debit else {"debit": ZERO, "credit": amount}


def _sales_entries(chart, date_from, date_to):
    invoices = list(
        Invoice.objects.exclude(status=Invoice.Status.DRAFT)
        .filter(issue_date__gte=date_from, issue_date__lte=date_to)
        .select_related("client", "credited_invoice")
        .order_by("issue_date", "number")
    )
    vat = _vat_by_invoice(invoices)
    entries = []
    for invoice in invoices:
        client = invoice.client
        is_note = invoice.kind == Invoice.Kind.CREDIT_NOTE
        label = f"{LABELS[invoice.kind]} {invoice.number} {client.legal_name}"
        lines = [
            Line(
                account=chart.client_account,
                account_label=chart.client_account_label,
                aux_account=client_aux(client),
                aux_label=client.legal_name,
                label=label,
                **_side(invoice.total_ttc, debit=not is_note),
            ),
            Line(
                account=chart.sales_account,
                account_label=chart.sales_account_label,
                label=label,
                **_side(invoice.total_ht, debit=is_note),
            ),
        ]
        for rate, amount in vat.get(invoice.pk, ()):
            lines.append(
                Line(
                    account=chart.vat_account(rate),
                    account_label=chart.vat_account_label_of(rate),
                    label=label,
                    **_side(amount, debit=is_note),
                )
            )
        entries.append(
            Entry(
                journal=chart.sales_journal,
                journal_label=chart.sales_journal_label,
                date=invoice.issue_date,
                piece_ref=invoice.number,
                piece_date=invoice.issue_date,
                label=label,
                lines=[line for line in lines if line.debit or line.credit],
                order=(invoice.issue_date, invoice.number),
                source=("invoice", invoice.pk),
            )
        )
    return entries


def _bank_pair(chart, *, client, amount, label, to_bank):
    bank = Line(
        account=chart.bank_account,
        account_label=chart.bank_account_label,
        debit=amount if to_bank else ZERO,
        credit=ZERO if to_bank else amount,
        label=label,
    )
    receivable = Line(
        account=chart.client_account,
        account_label=chart.client_account_label,
        aux_account=client_aux(client),
        aux_label=client.legal_name,
        debit=ZERO if to_bank else amount,
        credit=amount if to_bank else ZERO,
        label=label,
    )
    return [bank, receivable]


def _payment_ref(payment):
    return payment.reference or f"REG-{payment.pk:06d}"


def _bank_entries(chart, date_from, date_to):
    received = Payment.objects.filter(
        received_on__gte=date_from, received_on__lte=date_to
    ).select_related("client")
    entries = []
    for payment in received:
        label = f"{LABELS['payment']} {payment.client.legal_name} {payment.reference}".strip()
        entries.append(
            Entry(
                journal=chart.bank_journal,
                journal_label=chart.bank_journal_label,
                date=payment.received_on,
                piece_ref=_payment_ref(payment),
                piece_date=payment.received_on,
                label=label,
                lines=_bank_pair(
                    chart, client=payment.client, amount=payment.amount, label=label, to_bank=True
                ),
                order=(payment.received_on, 0, payment.pk),
                source=("payment", payment.pk),
            )
        )
    reversed_payments = Payment.objects.filter(
        status=Payment.Status.REVERSED,
        reversed_at__date__gte=date_from,
        reversed_at__date__lte=date_to,
    ).select_related("client")
    for payment in reversed_payments:
        day = timezone.localdate(payment.reversed_at)
        label = f"{LABELS['reversal']} {payment.client.legal_name} {payment.reversal_reason}"
        entries.append(
            Entry(
                journal=chart.bank_journal,
                journal_label=chart.bank_journal_label,
                date=day,
                piece_ref=_payment_ref(payment),
                piece_date=payment.received_on,
                label=label,
                lines=_bank_pair(
                    chart, client=payment.client, amount=payment.amount, label=label, to_bank=False
                ),
                order=(day, 1, payment.pk),
                source=("reversal", payment.pk),
            )
        )
    return entries


def _insurance_entries(chart, date_from, date_to):
    claims = Claim.objects.filter(
        indemnity_amount__gt=0, indemnified_on__gte=date_from, indemnified_on__lte=date_to
    ).select_related("client", "policy__insurer")
    entries = []
    for claim in claims:
        insurer = claim.policy.insurer
        reference = claim.insurer_reference or f"SIN-{claim.pk:06d}"
        label = f"{LABELS['indemnity']} {reference} {claim.client.legal_name}"
        lines = [
            Line(
                account=chart.bank_account,
                account_label=chart.bank_account_label,
                debit=claim.indemnity_amount,
                credit=ZERO,
                label=label,
            ),
            Line(
                account=chart.insurer_account,
                account_label=chart.insurer_account_label,
                aux_account=insurer_aux(insurer),
                aux_label=insurer.name,
                debit=ZERO,
                credit=claim.indemnity_amount,
                label=label,
            ),
        ]
        entries.append(
            Entry(
                journal=chart.insurance_journal,
                journal_label=chart.insurance_journal_label,
                date=claim.indemnified_on,
                piece_ref=reference,
                piece_date=claim.indemnified_on,
                label=label,
                lines=lines,
                order=(claim.indemnified_on, claim.pk),
            )
        )
    return entries


def _opening_entry(chart, *, date_from, source, piece_ref, piece_date, label, line, order):
    """An à-nouveau: one open piece's line brought forward on the period's first day,
    against the opening balance sheet."""
    label = f"{LABELS['opening']} {label}"
    line = replace(line, label=label)
    counterpart = Line(
        account=chart.opening_account,
        account_label=chart.opening_account_label,
        debit=line.credit,
        credit=line.debit,
        label=label,
    )
    return Entry(
        journal=chart.opening_journal,
        journal_label=chart.opening_journal_label,
        date=date_from,
        piece_ref=piece_ref,
        piece_date=piece_date,
        label=label,
        lines=[line, counterpart],
        order=order,
        source=source,
    )


def _opening_entries(chart, date_from):
    """The opening balances (à-nouveaux) of the clients' and the insurer's accounts on
    `date_from`: a FEC starts with them (LPF art. A47 A-1; BOI-CF-IOR-60-40-20), so that
    each account's balance carries over from one fiscal year to the next.

    They are brought forward piece by piece ("à-nouveaux détaillés"), each piece at the
    amount it was booked at, so that the lettering goes on across years: every invoice,
    credit note, payment and reversal dated before `date_from` whose lettering group was
    not settled by the day before (see `lettering`) is one entry, its line on 411 with the
    client as auxiliary account; every indemnity received before is one entry on 467. The
    counterpart of each is the opening balance sheet (890, bilan d'ouverture), so each
    entry balances. The lines on 411 of one client add up to the client's balance on the
    evening before `date_from`; a piece settled later in the period gets its group's code
    like the period's own lines."""
    settled = lettering(date_to=date_from - timedelta(days=1))
    entries = []

    def carry(source, client, piece_ref, piece_date, label, amount, *, debit, order):
        if source in settled:
            return
        line = Line(
            account=chart.client_account,
            account_label=chart.client_account_label,
            aux_account=client_aux(client),
            aux_label=client.legal_name,
            label="",
            **_side(amount, debit=debit),
        )
        entries.append(
            _opening_entry(
                chart,
                date_from=date_from,
                source=source,
                piece_ref=piece_ref,
                piece_date=piece_date,
                label=label,
                line=line,
                order=order,
            )
        )

    invoices = (
        Invoice.objects.exclude(status=Invoice.Status.DRAFT)
        .filter(issue_date__lt=date_from)
        .select_related("client")
    )
    for invoice in invoices:
        carry(
            ("invoice", invoice.pk),
            invoice.client,
            invoice.number,
            invoice.issue_date,
            f"{LABELS[invoice.kind]} {invoice.number} {invoice.client.legal_name}",
            invoice.total_ttc,
            debit=invoice.kind == Invoice.Kind.INVOICE,
            order=(invoice.issue_date, 0, invoice.number),
        )
    for payment in Payment.objects.filter(received_on__lt=date_from).select_related("client"):
        name = payment.client.legal_name
        carry(
            ("payment", payment.pk),
            payment.client,
            _payment_ref(payment),
            payment.received_on,
            f"{LABELS['payment']} {name} {payment.reference}".strip(),
            payment.amount,
            debit=False,
            order=(payment.received_on, 1, payment.pk),
        )
        reversed_on = payment.reversed_at and timezone.localdate(payment.reversed_at)
        if reversed_on and reversed_on < date_from:
            carry(
                ("reversal", payment.pk),
                payment.client,
                _payment_ref(payment),
                payment.received_on,
                f"{LABELS['reversal']} {name} {payment.reversal_reason}",
                payment.amount,
                debit=True,
                order=(reversed_on, 2, payment.pk),
            )
    claims = Claim.objects.filter(
        indemnity_amount__gt=0, indemnified_on__lt=date_from
    ).select_related("client", "policy__insurer")
    for claim in claims:
        insurer = claim.policy.insurer
        reference = claim.insurer_reference or f"SIN-{claim.pk:06d}"
        line = Line(
            account=chart.insurer_account,
            account_label=chart.insurer_account_label,
            aux_account=insurer_aux(insurer),
            aux_label=insurer.name,
            debit=ZERO,
            credit=claim.indemnity_amount,
            label="",
        )
        entries.append(
            _opening_entry(
                chart,
                date_from=date_from,
                source=("claim", claim.pk),
                piece_ref=reference,
                piece_date=claim.indemnified_on,
                label=f"{LABELS['indemnity']} {reference} {claim.client.legal_name}",
                line=line,
                order=(claim.indemnified_on, 3, claim.pk),
            )
        )
    return entries


def journal_entries(*, tenant, date_from, date_to):
    """The company's entries dated from `date_from` to `date_to` (both included), in date
    order, each numbered in its journal, the opening balances (à-nouveaux) of the first
    day first. Runs inside the company's tenant context."""
    check_period(date_from, date_to)
    chart = chart_of_accounts(tenant=tenant)
    journals = [
        _opening_entries(chart, date_from),
        _sales_entries(chart, date_from, date_to),
        _bank_entries(chart, date_from, date_to),
        _insurance_entries(chart, date_from, date_to),
    ]
    entries = []
    for journal in journals:
        journal.sort(key=lambda entry: entry.order)
        for position, entry in enumerate(journal, start=1):
            entry.number = f"{entry.journal}{position:06d}"
        entries.extend(journal)
    letters = lettering(date_to=date_to)
    for entry in entries:
        if entry.source in letters:
            code, day = letters[entry.source]
            entry.lines = [
                replace(line, lettering=code, lettering_date=day)
                if line.account == chart.client_account
                else line
                for line in entry.lines
            ]
    opening = chart.opening_journal
    entries.sort(
        key=lambda entry: (entry.date, entry.journal != opening, entry.journal, entry.number)
    )
    return entries


def _letter_code(index):
    """0 → A, 25 → Z, 26 → AA, …: the lettering codes of the clients' account, in order."""
    code = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        code = chr(ord("A") + rest) + code
    return code


def lettering(*, date_to):
    """The lettering (lettrage) of the clients' account as of `date_to`:
    {("invoice" | "payment" | "reversal", pk): (code, date)}.

    Invoices, their credit notes and the payments allocated to them are linked; a reversed
    payment with its reversal. A group is lettered when its lines on the clients' account,
    all dated by `date_to`, cancel out (typically: its invoices paid or credited in full by
    payments wholly allocated to them). The date is the group's last; codes follow the
    dates across the company's history, so an export of a later period keeps them.
    """
    parent = {}

    def find(node):
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    def union(a, b):
        if a in parent and b in parent:
            parent[find(a)] = find(b)

    net, day = {}, {}
    invoices = (
        Invoice.objects.exclude(status=Invoice.Status.DRAFT)
        .filter(issue_date__lte=date_to)
        .values_list("pk", "kind", "credited_invoice_id", "total_ttc", "issue_date")
    )
    notes = []
    for pk, kind, credited_pk, total, issued in invoices:
        node = ("invoice", pk)
        parent[node] = node
        net[node] = -total if kind == Invoice.Kind.CREDIT_NOTE else total
        day[node] = issued
        if credited_pk:
            notes.append((node, ("invoice", credited_pk)))
    payments = Payment.objects.filter(received_on__lte=date_to).values_list(
        "pk", "amount", "received_on", "reversed_at"
    )
    for pk, amount, received, reversed_at in payments:
        node = ("payment", pk)
        parent[node], net[node], day[node] = node, -amount, received
        if reversed_at and timezone.localdate(reversed_at) <= date_to:
            back = ("reversal", pk)
            parent[back], net[back], day[back] = back, amount, timezone.localdate(reversed_at)
            union(node, back)
    for note, invoice in notes:
        union(note, invoice)
    for payment_pk, invoice_pk in Allocation.objects.filter(is_active=True).values_list(
        "payment_id", "invoice_id"
    ):
        union(("payment", payment_pk), ("invoice", invoice_pk))
    groups = defaultdict(list)
    for node in parent:
        groups[find(node)].append(node)
    settled = [
        members
        for members in groups.values()
        if len(members) > 1 and sum((net[node] for node in members), ZERO) == 0
    ]
    settled.sort(key=lambda members: (max(day[n] for n in members), min(members)))
    letters = {}
    for index, members in enumerate(settled):
        last = max(day[node] for node in members)
        for node in members:
            letters[node] = (_letter_code(index), last)
    return letters


def account_balances(entries):
    """{(account, auxiliary account): debit − credit} of the entries."""
    balances = defaultdict(lambda: ZERO)
    for entry in entries:
        for line in entry.lines:
            balances[(line.account, line.aux_account)] += line.debit - line.credit
    return dict(balances)
