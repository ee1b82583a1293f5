"""Late-payment penalties and the fixed recovery indemnity (Code de commerce L441-10, D441-5).

Penalties run from the day after the due date, on the unpaid amount incl. VAT:
balance × rate × days late / 365, rounded to the cent. The rate is the contract's if the
invoice states one, else the ECB main refinancing rate of the half-year (its 1 January or
1 July value) plus 10 points; never below three times the legal interest rate. The
half-year is the one in which lateness began (the day after the due date). The indemnity is
40 EUR once per late invoice, even after partial payments. Neither bears VAT.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from portage.money import ZERO

RECOVERY_INDEMNITY = Decimal("40.00")
ECB_MARGIN = Decimal("10")
LEGAL_RATE_FLOOR_FACTOR = Decimal("3")
CENT = Decimal("0.01")


def half_year(day: date):
    return day.year, 1 if day.month <= 6 else 2


def days_late(due_date: date, on_date: date) -> int:
    """Days counted from the day after the due date up to `on_date` included."""
    return max(0, (on_date - due_date).days)


@dataclass(frozen=True)
class PenaltyRate:
    rate: Decimal
    source: str


def penalty_rate(*, contract_rate=None, ecb_rate=None, legal_rate=None) -> PenaltyRate:
    """The annual rate in percent. `ecb_rate` and `legal_rate` are those of the half-year in
    which lateness began; either may be unknown (None) when the admin has not entered it."""
    floor = legal_rate * LEGAL_RATE_FLOOR_FACTOR if legal_rate is not None else None
    if contract_rate is not None:
        rate, source = Decimal(contract_rate), "contract"
    elif ecb_rate is not None:
        rate, source = Decimal(ecb_rate) + ECB_MARGIN, "ecb_plus_10"
    elif floor is not None:
        rate, source = floor, "legal_floor"
    else:
        raise ValueError("No reference rate is known for this half-year.")
    if floor is not None and rate < floor:
        rate, source = floor, "legal_floor"
    return PenaltyRate(rate=rate, source=source)


def late_penalty(balance: Decimal, rate: Decimal, due_date: date, on_date: date) -> Decimal:
    days = days_late(due_date, on_date)
    if days == 0 or balance <= ZERO:
        return ZERO
    amount = balance * rate / Decimal(100) * Decimal(days) / Decimal(365)
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def lateness_start(due_date: date) -> date:
    return due_date + timedelta(days=1)
