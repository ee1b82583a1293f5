"""An invoice's amounts from its lines: each line's total, the VAT per rate, the totals.

Pure computation, no database: the billing service writes what it gives on a draft, and the
PDF, the Factur-X XML, the e-invoicing shares and the sales journal of the accounting export
print, split or book the same figures.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from portage.money import ZERO, to_cents


@dataclass(frozen=True)
class Totals:
    ht: Decimal
    vat: Decimal
    ttc: Decimal
    vat_breakdown: tuple  # ((rate, base, amount), ...) by rate, descending


def line_total(*, quantity, unit_price):
    """A line's amount excl. VAT: quantity × unit price, rounded to the cent per line."""
    return to_cents(Decimal(quantity) * Decimal(unit_price))


def vat_of(base, rate):
    """The VAT of one rate: that rate's base (the sum of its lines) × the rate in %, rounded
    to the cent, as the invoice must show the VAT per rate (CGI art. 242 nonies A) and
    EN 16931 checks each rate's amount (BR-CO-17)."""
    return to_cents(base * Decimal(rate) / 100)


def compute_totals(lines):
    """Totals of lines (each with `total_ht` and `vat_rate`).

    VAT is computed once per rate on the sum of that rate's lines (`vat_of`).
    """
    bases = defaultdict(lambda: ZERO)
    for line in lines:
        bases[Decimal(line.vat_rate)] += line.total_ht
    breakdown = tuple(
        (rate, base, vat_of(base, rate)) for rate, base in sorted(bases.items(), reverse=True)
    )
    ht = sum((base for _, base, _ in breakdown), ZERO)
    vat = sum((amount for _, _, amount in breakdown), ZERO)
    return Totals(ht=ht, vat=vat, ttc=ht + vat, vat_breakdown=breakdown)
