"""The penalty schedule (Code de commerce L441-10 II), a pure function: figures worked by hand
from the rule, and a property over random partial payments."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dunning.defaults import known_rates
from dunning.penalties import (
    ECB,
    LEGAL,
    HalfYear,
    MissingRate,
    Rates,
    RatesMissing,
    contract_rate_floor,
    penalty_schedule,
)

KNOWN = {
    HalfYear(row["year"], row["half"]): Rates(
        ecb_rate=row["ecb_rate"], legal_rate=row["legal_rate"]
    )
    for row in known_rates()
}


def schedule(amount_due, due_date, on_date, payments=(), contract_rate=None, rates=None):
    return penalty_schedule(
        amount_due=Decimal(amount_due),
        due_date=due_date,
        payments=[(day, Decimal(amount)) for day, amount in payments],
        on_date=on_date,
        contract_rate=Decimal(contract_rate) if contract_rate else None,
        rates=KNOWN if rates is None else rates,
    )


def rows(result):
    return [
        (line.amount, line.paid_on, line.start, line.end, line.days, line.rate, line.penalty)
        for line in result.lines
    ]


def test_lateness_over_two_half_years_is_cut_on_1_july():
    """10 000,00 € due 15 June 2026, unpaid on 7 December 2026.
    16 to 30 June: 15 days at 2,15 % + 10 = 12,15 % (ECB rate on 1 January 2026):
    10 000 × 12,15 % × 15 / 365 = 49,9315… → 49,93 €.
    1 July to 7 December: 31 + 31 + 30 + 31 + 30 + 7 = 160 days at 2,40 % + 10 = 12,40 %
    (ECB rate on 1 July 2026): 10 000 × 12,40 % × 160 / 365 = 543,5616… → 543,56 €.
    Total 593,49 €."""
    result = schedule("10000.00", date(2026, 6, 15), date(2026, 12, 7))
    assert rows(result) == [
        (
            Decimal("10000.00"),
            None,
            date(2026, 6, 16),
            date(2026, 6, 30),
            15,
            Decimal("12.15"),
            Decimal("49.93"),
        ),
        (
            Decimal("10000.00"),
            None,
            date(2026, 7, 1),
            date(2026, 12, 7),
            160,
            Decimal("12.40"),
            Decimal("543.56"),
        ),
    ]
    assert result.total == Decimal("593.49")


def test_the_contract_rate_s_floor_applies_half_year_by_half_year():
    """A contract rate of 10,00 %, 1 000,00 € due 31 December 2024, unpaid on 31 December 2025.
    First half of 2025 (181 days): floor 3 × 3,71 % = 11,13 % > 10 %: 11,13 % applies,
    1 000 × 11,13 % × 181 / 365 = 55,1926… → 55,19 €.
    Second half of 2025 (184 days): floor 3 × 2,76 % = 8,28 % < 10 %: 10,00 % applies,
    1 000 × 10 % × 184 / 365 = 50,4109… → 50,41 €. Total 105,60 €."""
    result = schedule("1000.00", date(2024, 12, 31), date(2025, 12, 31), contract_rate="10.00")
    assert [(line.days, line.rate, line.source, line.penalty) for line in result.lines] == [
        (181, Decimal("11.13"), "legal_floor", Decimal("55.19")),
        (184, Decimal("10.00"), "contract", Decimal("50.41")),
    ]
    assert result.total == Decimal("105.60")


def test_amounts_paid_late_owe_penalties_up_to_the_day_they_were_paid():
    """6 000,00 € due 31 March 2026: 1 000,00 € paid on 31 March (on time: nothing owed),
    2 000,00 € paid on 30 April (30 days late), 3 000,00 € still unpaid on 31 May (61 days).
    Rate 12,15 % (first half of 2026).
    Paid late: 2 000 × 12,15 % × 30 / 365 = 19,9726… → 19,97 €.
    Unpaid: 3 000 × 12,15 % × 61 / 365 = 60,9164… → 60,92 €. Total 80,89 €."""
    result = schedule(
        "6000.00",
        date(2026, 3, 31),
        date(2026, 5, 31),
        payments=[(date(2026, 4, 30), "2000.00"), (date(2026, 3, 31), "1000.00")],
    )
    assert [(line.amount, line.paid_on, line.days, line.penalty) for line in result.lines] == [
        (Decimal("2000.00"), date(2026, 4, 30), 30, Decimal("19.97")),
        (Decimal("3000.00"), None, 61, Decimal("60.92")),
    ]
    assert (result.total, result.on_paid_parts) == (Decimal("80.89"), Decimal("19.97"))


def test_a_payment_after_the_day_computed_has_not_happened_yet():
    """Computed on 31 May 2026, a payment of 13 June counts as unpaid: 6 000 × 12,15 % × 61
    / 365 = 121,8328… → 121,83 €."""
    result = schedule(
        "6000.00", date(2026, 3, 31), date(2026, 5, 31), payments=[(date(2026, 6, 13), "6000")]
    )
    assert [(line.paid_on, line.penalty) for line in result.lines] == [(None, Decimal("121.83"))]


def test_nothing_is_owed_before_the_day_after_the_due_date():
    assert schedule("6000.00", date(2026, 3, 31), date(2026, 3, 31)).lines == ()


def test_a_missing_rate_is_named_never_replaced():
    """The legal rate of the second half of 2026 is not known: a contract rate cannot be
    checked against its floor for those days, so nothing is computed; without a contract
    rate, the ECB rate of 1 July 2026 is all the rule needs."""
    with pytest.raises(RatesMissing) as stopped:
        schedule("1000.00", date(2026, 6, 15), date(2026, 12, 7), contract_rate="12.00")
    assert stopped.value.missing == (MissingRate(HalfYear(2026, 2), LEGAL),)
    assert schedule("1000.00", date(2026, 6, 15), date(2026, 12, 7)).total > 0
    with pytest.raises(RatesMissing) as stopped:
        schedule("1000.00", date(2026, 12, 15), date(2027, 2, 1))
    assert stopped.value.missing == (MissingRate(HalfYear(2027, 1), ECB),)


def test_the_floor_of_a_contract_rate_is_three_times_the_legal_rate():
    assert contract_rate_floor(Decimal("2.62")) == Decimal("7.86")
    assert contract_rate_floor(Decimal("5.07")) == Decimal("15.21")


DUE = date(2025, 3, 31)
ON = date(2026, 12, 7)
SPAN = (ON - DUE).days + 10


@st.composite
def partial_payments(draw):
    """An invoice, partial payments that never exceed it, and one of them to move later."""
    total = Decimal(draw(st.integers(min_value=100, max_value=5_000_000))) / 100
    count = draw(st.integers(min_value=1, max_value=5))
    left, payments = total, []
    for _ in range(count):
        cents = draw(st.integers(min_value=1, max_value=max(1, int(left * 100))))
        amount = min(Decimal(cents) / 100, left)
        if amount <= 0:
            break
        left -= amount
        day = DUE + timedelta(days=draw(st.integers(min_value=-10, max_value=SPAN - 10)))
        payments.append((day, amount))
    moved = draw(st.integers(min_value=0, max_value=len(payments) - 1))
    room = (ON - payments[moved][0]).days
    later = draw(st.integers(min_value=0, max_value=max(0, room)))
    contract = draw(st.sampled_from([None, Decimal("5.00"), Decimal("12.00"), Decimal("20.00")]))
    return total, payments, moved, later, contract


@settings(max_examples=300, deadline=None)
@given(partial_payments())
def test_a_payment_arriving_later_never_lowers_the_penalties(case):
    """Over random partial payments (up to the day computed), moving one payment later never
    makes the schedule's total smaller."""
    total, payments, moved, later, contract = case
    # The legal rate of 2026 H2 is not known: a contract rate is computed up to 30 June 2026.
    on = date(2026, 6, 30) if contract else ON
    payments = [(min(day, on), amount) for day, amount in payments]
    day, amount = payments[moved]
    delayed = [*payments]
    delayed[moved] = (min(day + timedelta(days=later), on), amount)
    before = penalty_schedule(
        amount_due=total,
        due_date=DUE,
        payments=payments,
        on_date=on,
        contract_rate=contract,
        rates=KNOWN,
    )
    after = penalty_schedule(
        amount_due=total,
        due_date=DUE,
        payments=delayed,
        on_date=on,
        contract_rate=contract,
        rates=KNOWN,
    )
    assert after.total >= before.total
    assert all(line.penalty >= 0 and line.days > 0 for line in after.lines)
    # The moved payment owes its days from the day after the due date to the day it was paid.
    paid_on = delayed[moved][0]
    late_days = sum(
        line.days for line in after.lines if line.paid_on == paid_on and line.amount == amount
    )
    assert late_days >= max(0, (paid_on - DUE).days)
