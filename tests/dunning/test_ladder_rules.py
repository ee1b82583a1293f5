"""The ladder's decisions on their own, without a database: which steps are due on a day,
the minimum gap after the previous step, catching up a late invoice, what holds the
ladder, when a pause is over and when a debt is time-barred. The objects are unsaved
model instances; the days are worked by hand from the default ladder (DESIGN, section 2),
for an invoice due on 1 April 2026:

    consultant's reminder  due − 3   29 March
    consultant's reminder  due + 1   2 April
    first reminder         due + 1   2 April
    second reminder        due + 15  16 April, at least 10 days after the previous step
    formal notice          due + 30  1 May, at least 10 days after
    litigation             due + 45  16 May, at least 10 days after
"""

from datetime import date
from decimal import Decimal

import pytest

from dunning.models import Action, Case, Pause, Policy, Step, StepKind
from dunning.services.ladder import pause_over, steps_due, time_barred_since
from invoices.models import Invoice

DUE = date(2026, 4, 1)
BALANCE = Decimal("7200.00")
LADDER = [
    # (kind, days from the due date, minimum days after the previous step)
    (StepKind.CONSULTANT_REMINDER, -3, 0),
    (StepKind.CONSULTANT_REMINDER, 1, 0),
    (StepKind.FIRST_REMINDER, 1, 0),
    (StepKind.SECOND_REMINDER, 15, 10),
    (StepKind.FORMAL_NOTICE, 30, 10),
    (StepKind.LITIGATION, 45, 10),
]
STEPS = [
    Step(pk=position, position=position, kind=kind, days_from_due=days, min_days_after_previous=gap)
    for position, (kind, days, gap) in enumerate(LADDER, start=1)
]
CONSULTANT_EARLY, CONSULTANT_LATE, FIRST, SECOND, NOTICE, LITIGATION = STEPS


def case(*, catch_up=False, due=DUE):
    invoice = Invoice(due_date=due, total_ttc=BALANCE)
    return Case(invoice=invoice, policy=Policy(catch_up=catch_up))


def done(step, on, status=Action.Status.DONE):
    return Action(step=step, kind=step.kind, status=status, performed_on=on)


def due_on(today, *, actions=(), catch_up=False, now=False):
    """The steps planned for `today`, each with the steps recorded as skipped before it."""
    plans = steps_due(case(catch_up=catch_up), STEPS, list(actions), today, BALANCE, now=now)
    return [(plan.step, [step for step, _reason in plan.skipped]) for plan in plans]


def test_nothing_is_due_before_the_first_step_s_day():
    assert due_on(date(2026, 3, 28)) == []


def test_the_consultant_is_reminded_three_days_before_the_due_date():
    assert due_on(date(2026, 3, 29)) == [(CONSULTANT_EARLY, [])]


def test_two_steps_of_the_same_day_with_no_gap_are_both_due():
    actions = [done(CONSULTANT_EARLY, date(2026, 3, 29))]

    assert due_on(date(2026, 4, 2), actions=actions) == [(CONSULTANT_LATE, []), (FIRST, [])]


def test_the_second_reminder_waits_for_its_day_after_an_on_time_first():
    actions = [done(CONSULTANT_EARLY, date(2026, 3, 29))]
    actions += [done(step, date(2026, 4, 2)) for step in (CONSULTANT_LATE, FIRST)]

    assert due_on(date(2026, 4, 15), actions=actions) == []
    assert due_on(date(2026, 4, 16), actions=actions) == [(SECOND, [])]


def test_a_late_first_reminder_pushes_the_second_ten_days_after_it():
    # First reminder on 10 April: the second is due on 16 April by date, but not before
    # 10 + 10 = 20 April.
    actions = [
        done(CONSULTANT_EARLY, date(2026, 3, 29)),
        done(CONSULTANT_LATE, date(2026, 4, 10)),
        done(FIRST, date(2026, 4, 10)),
    ]

    assert due_on(date(2026, 4, 16), actions=actions) == []
    assert due_on(date(2026, 4, 19), actions=actions) == []
    assert due_on(date(2026, 4, 20), actions=actions) == [(SECOND, [])]


def test_a_skipped_step_does_not_start_the_gap():
    actions = [
        done(CONSULTANT_EARLY, date(2026, 3, 29)),
        done(CONSULTANT_LATE, date(2026, 4, 2)),
        done(FIRST, date(2026, 4, 14), status=Action.Status.SKIPPED),
    ]

    # Counted from the consultant's reminder of 2 April: 16 April by date and by gap.
    assert due_on(date(2026, 4, 16), actions=actions) == [(SECOND, [])]


def test_an_invoice_first_seen_35_days_late_catches_up_with_the_formal_notice():
    """On 6 May the steps up to the formal notice (1 May) are all within reach: the four
    before it are recorded as skipped, the notice is sent, litigation waits for 16 May."""
    plans = steps_due(case(catch_up=True), STEPS, [], date(2026, 5, 6), BALANCE)

    assert [(plan.step, [step for step, _ in plan.skipped]) for plan in plans] == [
        (NOTICE, [CONSULTANT_EARLY, CONSULTANT_LATE, FIRST, SECOND])
    ]
    assert {reason for _step, reason in plans[0].skipped} == {
        "Caught up: the invoice was already 35 days late"
    }


def test_catch_up_skips_nothing_on_an_invoice_followed_on_time():
    """The consultant's J+1 reminder falls on the first reminder's day: both are due."""
    actions = [done(CONSULTANT_EARLY, date(2026, 3, 29))]

    assert due_on(date(2026, 4, 2), actions=actions, catch_up=True) == [
        (CONSULTANT_LATE, []),
        (FIRST, []),
    ]


def test_without_catch_up_a_late_invoice_climbs_from_the_first_step():
    # The default policy's way. Each step after its gap from the one before, sent today:
    # the second reminder would need 6 May + 10 days.
    assert due_on(date(2026, 5, 6)) == [
        (CONSULTANT_EARLY, []),
        (CONSULTANT_LATE, []),
        (FIRST, []),
    ]


def test_a_caught_up_step_that_waits_for_its_gap_records_the_skips_alone():
    """Reminded up to the first reminder on 28 April (after a pause): on 6 May the second
    reminder (16 April) and the notice (1 May) are within reach by date; the second is
    skipped now, the notice waits until 28 April + 10 = 8 May."""
    actions = [done(step, date(2026, 4, 28)) for step in (CONSULTANT_EARLY, CONSULTANT_LATE)]
    actions.append(done(FIRST, date(2026, 4, 28)))

    assert due_on(date(2026, 5, 6), actions=actions, catch_up=True) == [(None, [SECOND])]
    skipped = done(SECOND, date(2026, 5, 6), Action.Status.SKIPPED)
    assert due_on(date(2026, 5, 8), actions=[*actions, skipped], catch_up=True) == [(NOTICE, [])]


def test_send_now_gives_the_next_step_only_whatever_its_date():
    assert due_on(date(2026, 3, 20), now=True) == [(CONSULTANT_EARLY, [])]
    actions = [done(step, date(2026, 4, 2)) for step in STEPS[:3]]
    assert due_on(date(2026, 4, 3), actions=actions, now=True) == [(SECOND, [])]


def test_a_client_message_still_waiting_to_leave_holds_the_next_steps():
    actions = [
        done(CONSULTANT_EARLY, date(2026, 3, 29)),
        done(CONSULTANT_LATE, date(2026, 4, 2)),
        done(FIRST, date(2026, 4, 2), status=Action.Status.PENDING),
    ]

    assert due_on(date(2026, 4, 16), actions=actions) == []


def test_a_consultant_s_reminder_waiting_to_leave_holds_nothing():
    actions = [done(CONSULTANT_EARLY, date(2026, 3, 29), status=Action.Status.PENDING)]

    assert due_on(date(2026, 4, 2), actions=actions) == [(CONSULTANT_LATE, []), (FIRST, [])]


def test_a_finished_ladder_has_nothing_left():
    actions = [done(step, date(2026, 5, 16)) for step in STEPS]

    assert due_on(date(2026, 12, 31), actions=actions) == []


@pytest.mark.parametrize(
    ("due", "acknowledged_on", "barred_on"),
    [
        (date(2026, 4, 1), None, date(2031, 4, 1)),
        # An acknowledgement of the debt restarts the five years.
        (date(2026, 4, 1), date(2028, 6, 15), date(2033, 6, 15)),
        # An acknowledgement before the due date changes nothing.
        (date(2026, 4, 1), date(2026, 3, 1), date(2031, 4, 1)),
        (date(2028, 2, 29), None, date(2033, 2, 28)),
    ],
)
def test_a_debt_is_time_barred_five_years_after_its_due_date(due, acknowledged_on, barred_on):
    assert time_barred_since(Invoice(due_date=due), acknowledged_on) == barred_on


def test_a_promise_to_pay_is_over_the_day_after_its_date():
    promise = Pause(kind=Pause.Kind.PROMISE, until=date(2026, 4, 10))
    invoice = Invoice(due_date=DUE)

    assert pause_over(promise, invoice, date(2026, 4, 10)) == ""
    assert pause_over(promise, invoice, date(2026, 4, 11)) == "Date passed"


def test_a_dispute_lasts_until_someone_ends_it():
    dispute = Pause(kind=Pause.Kind.DISPUTE, until=date(2026, 4, 10))

    assert pause_over(dispute, Invoice(due_date=DUE), date(2027, 1, 1)) == ""


def test_a_payment_plan_ends_the_day_after_an_instalment_is_missed():
    """Two instalments of 500 on 1 May and 1 June; 500 paid since the plan began: the plan
    holds on 1 June (the instalment is due that day) and is over on 2 June."""
    plan = Pause(
        kind=Pause.Kind.PLAN,
        paid_at_start=Decimal("1000.00"),
        instalments=[
            {"due": "2026-05-01", "amount": "500.00"},
            {"due": "2026-06-01", "amount": "500.00"},
        ],
    )
    invoice = Invoice(due_date=DUE, paid_amount=Decimal("1500.00"), credited_amount=Decimal("0"))

    assert pause_over(plan, invoice, date(2026, 5, 2)) == ""
    assert pause_over(plan, invoice, date(2026, 6, 1)) == ""
    assert pause_over(plan, invoice, date(2026, 6, 2)) == "Instalment of 01/06/2026 missed"
