"""The money facts of an invoice, each defined once: as the Python rule an `Invoice` property
calls, and as the query expression PostgreSQL computes the same way.

- due: what the client owes once its credit notes are taken off (TTC);
- balance: what it still owes after its payments too; nothing on a draft or a credit note;
- open: issued, not a credit note, with a balance;
- billed excl. VAT: the invoice's total excl. VAT less its credit notes';
- fee: the management fee on the billed amount at the rate frozen on the invoice, rounded
  half up to the cent (PostgreSQL's `round(numeric, 2)` rounds the same way);
- net: what the consultant earns on it, billed less the fee;
- a consultant's share (`share_of`): what an amount the client (or the insurer in its place)
  pays on the invoice gives the consultant, excl. VAT and net of the fee. An invoice paid in
  full gives exactly its net.

Expressions take an optional `prefix` to be read through a relation
(`balance(prefix="invoice__")`).
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, DecimalField, ExpressionWrapper, F, Q, Value, When
from django.db.models.functions import Coalesce, Round

from portage.money import ZERO, to_cents

MONEY = DecimalField(max_digits=14, decimal_places=2)
HUNDRED = Decimal(100)
# Statuses as the model spells them (this module sits beside it, below it).
OPEN_STATUSES = ("issued", "partially_paid")
CREDIT_NOTE = "credit_note"
DRAFT = "draft"


def fee_on(amount_ht, rate):
    """The management fee on an amount excl. VAT at `rate` percent, rounded to the cent."""
    if not rate:
        return ZERO
    return to_cents(amount_ht * rate / HUNDRED)


def excl_vat_of(amount, *, billed, due):
    """The part excl. VAT of `amount` paid incl. VAT on an invoice that bills `billed`
    excl. VAT (`billed`) for `due` incl. VAT, both after its credit notes."""
    if due <= 0:
        return ZERO
    return to_cents(billed * amount / due)


@dataclass(frozen=True)
class Share:
    """What an amount paid on an invoice gives its consultant."""

    excl_vat: Decimal
    fee: Decimal

    @property
    def net(self):
        return self.excl_vat - self.fee


def share_of(invoice, amount, *, incl_vat=True):
    """The consultant's share of `amount` paid on `invoice`: excl. VAT (`amount` × billed
    excl. VAT / due incl. VAT, after credit notes), less the fee at the invoice's rate.
    `incl_vat=False` when `amount` is already excl. VAT (an indemnity on a cover without
    VAT). Computed on a running total, it never drifts: the share of everything paid on an
    invoice paid in full is its net."""
    base = amount
    if incl_vat:
        base = excl_vat_of(amount, billed=invoice.billed_ht, due=invoice.due)
    return Share(excl_vat=base, fee=fee_on(base, invoice.fee_rate))


def balance_of(invoice):
    if invoice.kind == CREDIT_NOTE or invoice.status == DRAFT:
        return ZERO
    return invoice.total_ttc - invoice.credited_amount - invoice.paid_amount


# The same facts as query expressions.


def due(prefix=""):
    return ExpressionWrapper(
        F(f"{prefix}total_ttc") - F(f"{prefix}credited_amount"), output_field=MONEY
    )


def balance(prefix=""):
    return Case(
        When(Q(**{f"{prefix}kind": CREDIT_NOTE}) | Q(**{f"{prefix}status": DRAFT}), then=ZERO),
        default=F(f"{prefix}total_ttc") - F(f"{prefix}credited_amount") - F(f"{prefix}paid_amount"),
        output_field=MONEY,
    )


def is_open(prefix=""):
    """A Q: issued, not a credit note, still owed (`settle` keeps the status in step with
    the balance)."""
    return Q(**{f"{prefix}status__in": OPEN_STATUSES}) & ~Q(**{f"{prefix}kind": CREDIT_NOTE})


def billed_ht(prefix=""):
    return ExpressionWrapper(F(f"{prefix}total_ht") - F(f"{prefix}credited_ht"), output_field=MONEY)


def fee(prefix=""):
    return Round(
        ExpressionWrapper(
            billed_ht(prefix) * Coalesce(F(f"{prefix}fee_rate"), Value(ZERO)) / Value(HUNDRED),
            output_field=MONEY,
        ),
        precision=2,
        output_field=MONEY,
    )


def net(prefix=""):
    return ExpressionWrapper(billed_ht(prefix) - fee(prefix), output_field=MONEY)
