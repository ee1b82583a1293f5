"""Late-payment penalties and the fixed recovery indemnity (Code de commerce L441-10, D441-5).

Pure computations: the reference rates come in as a mapping of half-years, read by the
caller (see `dunning.services.letters`). `penalty_schedule` is the one function that applies
the rule; `docs/penalties.md` explains each choice with its article.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from portage.money import ZERO

RECOVERY_INDEMNITY = Decimal("40.00")
ECB_MARGIN = Decimal("10")
LEGAL_RATE_FLOOR_FACTOR = Decimal("3")
DAYS_PER_YEAR = Decimal("365")
CENT = Decimal("0.01")

ECB = "ecb"
LEGAL = "legal"


@dataclass(frozen=True, order=True)
class HalfYear:
    """A half-year of reference rates: 1 (1 January to 30 June) or 2 (1 July to 31 December)."""

    year: int
    half: int

    @classmethod
    def of(cls, day: date) -> "HalfYear":
        return cls(day.year, 1 if day.month <= 6 else 2)

    @property
    def start(self) -> date:
        return date(self.year, 1 if self.half == 1 else 7, 1)

    @property
    def end(self) -> date:
        return date(self.year, 6, 30) if self.half == 1 else date(self.year, 12, 31)

    def next(self) -> "HalfYear":
        return HalfYear(self.year, 2) if self.half == 1 else HalfYear(self.year + 1, 1)


def half_years(first: date, last: date) -> list[HalfYear]:
    """The half-years from the one of `first` to the one of `last`, in order."""
    found, current = [], HalfYear.of(first)
    while current <= HalfYear.of(last):
        found.append(current)
        current = current.next()
    return found


@dataclass(frozen=True)
class Rates:
    """A half-year's reference rates in percent; None where the admin has not entered it."""

    ecb_rate: Decimal | None = None
    legal_rate: Decimal | None = None


@dataclass(frozen=True, order=True)
class MissingRate:
    """A reference rate a computation needs and the table does not have: `kind` is ECB (the
    main refinancing rate) or LEGAL (the legal interest rate for professionals)."""

    half_year: HalfYear
    kind: str


class RatesMissing(Exception):
    """The computation needs rates the table does not have: it stops, and says which."""

    def __init__(self, missing: Iterable[MissingRate]):
        self.missing = tuple(sorted(set(missing)))
        super().__init__(
            ", ".join(f"{m.kind} {m.half_year.year}/{m.half_year.half}" for m in self.missing)
        )


@dataclass(frozen=True)
class PenaltyRate:
    rate: Decimal
    source: str  # "contract", "legal_floor" or "ecb_plus_10"


def contract_rate_floor(legal_rate: Decimal) -> Decimal:
    """The lowest rate a contract may set: 3 × the legal interest rate (Code de commerce
    L441-10 II). A clause under it is void and fined (L441-16)."""
    return Decimal(legal_rate) * LEGAL_RATE_FLOOR_FACTOR


def penalty_rate(*, half_year: HalfYear, contract_rate, rates: Rates) -> PenaltyRate:
    """The annual rate, in percent, for the days of `half_year` (Code de commerce L441-10 II).

    With a contract rate, that rate, never under 3 × the legal interest rate of the
    half-year: the floor bounds what a contract may set ("sauf disposition contraire qui ne
    peut toutefois fixer un taux inférieur à trois fois le taux d'intérêt légal"). Without
    one, the ECB main refinancing rate in force on 1 January (first half-year) or 1 July
    (second) plus 10 points. Raises `RatesMissing` when the rate it needs is not known.
    """
    if contract_rate is not None:
        if rates.legal_rate is None:
            raise RatesMissing([MissingRate(half_year, LEGAL)])
        floor = contract_rate_floor(rates.legal_rate)
        contract_rate = Decimal(contract_rate)
        if contract_rate < floor:
            return PenaltyRate(rate=floor, source="legal_floor")
        return PenaltyRate(rate=contract_rate, source="contract")
    if rates.ecb_rate is None:
        raise RatesMissing([MissingRate(half_year, ECB)])
    return PenaltyRate(rate=Decimal(rates.ecb_rate) + ECB_MARGIN, source="ecb_plus_10")


def days_late(due_date: date, on_date: date) -> int:
    """Days counted from the day after the due date up to `on_date` included."""
    return max(0, (on_date - due_date).days)


def late_penalty(amount: Decimal, rate: Decimal, due_date: date, on_date: date) -> Decimal:
    """`amount` × `rate` % × days late / 365, rounded to the cent, for one rate."""
    days = days_late(due_date, on_date)
    if days == 0 or amount <= ZERO:
        return ZERO
    value = Decimal(amount) * Decimal(rate) / Decimal(100) * Decimal(days) / DAYS_PER_YEAR
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class ScheduleLine:
    """An amount late over one half-year: from `start` to `end` included, at one rate.
    `paid_on` is the day that amount was paid, None while it is still unpaid."""

    amount: Decimal
    paid_on: date | None
    start: date
    end: date
    days: int
    rate: Decimal
    source: str
    penalty: Decimal


@dataclass(frozen=True)
class Schedule:
    lines: tuple[ScheduleLine, ...]

    @property
    def total(self) -> Decimal:
        return sum((line.penalty for line in self.lines), ZERO)

    @property
    def on_paid_parts(self) -> Decimal:
        return sum((line.penalty for line in self.lines if line.paid_on is not None), ZERO)


def penalty_schedule(
    *,
    amount_due: Decimal,
    due_date: date,
    payments: Iterable[tuple[date, Decimal]],
    on_date: date,
    contract_rate,
    rates: Mapping[HalfYear, Rates],
) -> Schedule:
    """The late penalties of one invoice on `on_date`, amount by amount and half-year by
    half-year (Code de commerce L441-10 II).

    - Penalties are due from the day after the due date, without a reminder, on the amount
      incl. VAT still unpaid (`amount_due`: the invoice's total less its credit notes).
    - An amount paid late owes them from the day after the due date to the day it was paid
      included; what is still unpaid, to `on_date` included. Payments on or before the due
      date owe nothing; payments after `on_date` have not happened yet on that day.
    - Each day bears the rate of its half-year: lateness spanning several half-years is cut
      at 1 January and 1 July, each part at its own rate (see `penalty_rate`), so the
      contract rate's floor of 3 × the legal interest rate applies part by part.
    - Each line is `amount × rate × days / 365`, rounded to the cent; the total is the sum
      of the lines, as the formal notice prints them.

    Raises `RatesMissing`, naming every rate it lacks, rather than use another half-year's.
    """
    outstanding = Decimal(amount_due)
    segments = []
    for paid_on, amount in sorted(payments, key=lambda payment: payment[0]):
        if paid_on > on_date or outstanding <= ZERO:
            continue
        amount = min(Decimal(amount), outstanding)
        outstanding -= amount
        if paid_on > due_date:
            segments.append((amount, paid_on, paid_on))
    if outstanding > ZERO and on_date > due_date:
        segments.append((outstanding, None, on_date))
    lines, missing = [], []
    for amount, paid_on, last_day in segments:
        for part in half_years(due_date + timedelta(days=1), last_day):
            start = max(part.start, due_date + timedelta(days=1))
            end = min(part.end, last_day)
            try:
                rate = penalty_rate(
                    half_year=part, contract_rate=contract_rate, rates=rates.get(part, Rates())
                )
            except RatesMissing as error:
                missing.extend(error.missing)
                continue
            lines.append(
                ScheduleLine(
                    amount=amount,
                    paid_on=paid_on,
                    start=start,
                    end=end,
                    days=(end - start).days + 1,
                    rate=rate.rate,
                    source=rate.source,
                    penalty=late_penalty(amount, rate.rate, start - timedelta(days=1), end),
                )
            )
    if missing:
        raise RatesMissing(missing)
    return Schedule(lines=tuple(lines))
