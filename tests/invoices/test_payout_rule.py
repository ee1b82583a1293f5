"""The company's pay-out rule: the day an amount credited to the activity account is paid out."""

from datetime import date

import pytest

from invoices.pay import payout_date


@pytest.mark.parametrize(
    ("credited_on", "months_after", "day", "paid_on"),
    [
        # The default: the last day of the month after the client's payment.
        (date(2026, 1, 15), 1, 31, date(2026, 2, 28)),
        (date(2026, 1, 31), 1, 31, date(2026, 2, 28)),
        (date(2027, 1, 10), 1, 31, date(2027, 2, 28)),
        (date(2028, 1, 10), 1, 31, date(2028, 2, 29)),
        (date(2026, 12, 1), 1, 31, date(2027, 1, 31)),
        (date(2026, 3, 31), 1, 31, date(2026, 4, 30)),
        # On the 5th of the month after.
        (date(2026, 1, 31), 1, 5, date(2026, 2, 5)),
        (date(2026, 12, 28), 1, 5, date(2027, 1, 5)),
        # Two months after, on the 10th.
        (date(2026, 11, 3), 2, 10, date(2027, 1, 10)),
        # The same month: before the pay-out day it is paid that month, after it the next.
        (date(2026, 1, 15), 0, 31, date(2026, 1, 31)),
        (date(2026, 1, 10), 0, 10, date(2026, 1, 10)),
        (date(2026, 1, 11), 0, 10, date(2026, 2, 10)),
        (date(2026, 12, 20), 0, 10, date(2027, 1, 10)),
    ],
)
def test_an_amount_is_paid_out_on_the_day_the_rule_gives(credited_on, months_after, day, paid_on):
    assert payout_date(credited_on=credited_on, months_after=months_after, day=day) == paid_on


def test_a_new_company_pays_out_on_the_last_day_of_the_month_after_the_payment():
    from portage.models import Tenant

    assert Tenant._meta.get_field("payout_months_after").default == 1
    assert Tenant._meta.get_field("payout_day").default == 31
