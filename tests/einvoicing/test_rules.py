"""The amount collected per VAT rate (rules.collected_by_rate), worked by hand from the rule:
each rate takes amount × its TTC / the invoice's TTC, rounded half up to the cent, and what
rounding leaves over goes to the largest rate's part."""

from decimal import Decimal as D

import pytest

from einvoicing.rules import collected_by_rate

# An invoice of 1 000,00 HT at 20 % (1 200,00 TTC), 100,00 HT at 10 % (110,00 TTC) and
# 100,00 HT at 5,5 % (105,50 TTC): 1 415,50 TTC in all.
THREE_RATES = ((D("20.00"), D("1200.00")), (D("10.00"), D("110.00")), (D("5.50"), D("105.50")))


def test_a_full_payment_gives_each_rate_its_whole_ttc():
    assert collected_by_rate(D("1415.50"), THREE_RATES) == THREE_RATES


def test_a_partial_payment_is_spread_pro_rata_with_the_cent_left_over_on_the_largest_rate():
    # A third paid, 471,83: 471,83 × 1 200 / 1 415,50 = 399,997 → 400,00;
    # × 110 / 1 415,50 = 36,666 → 36,67; × 105,50 / 1 415,50 = 35,166 → 35,17.
    # 400,00 + 36,67 + 35,17 = 471,84: the cent too many comes off the 20 % part.
    assert collected_by_rate(D("471.83"), THREE_RATES) == (
        (D("20.00"), D("399.99")),
        (D("10.00"), D("36.67")),
        (D("5.50"), D("35.17")),
    )


def test_a_correction_is_the_exact_opposite_of_the_212_it_cancels():
    assert collected_by_rate(D("-471.83"), THREE_RATES) == (
        (D("20.00"), D("-399.99")),
        (D("10.00"), D("-36.67")),
        (D("5.50"), D("-35.17")),
    )


def test_a_payment_on_an_invoice_partly_credited_is_spread_over_what_is_left_at_each_rate():
    # A credit note cancelled the 10 % line (110,00): 1 305,50 is left, 1 200,00 at 20 % and
    # 105,50 at 5,5 %. 500,00 paid: 500 × 1 200 / 1 305,50 = 459,594 → 459,59;
    # 500 × 105,50 / 1 305,50 = 40,405 → 40,41; 459,59 + 40,41 = 500,00.
    left = ((D("20.00"), D("1200.00")), (D("5.50"), D("105.50")))

    assert collected_by_rate(D("500.00"), left) == (
        (D("20.00"), D("459.59")),
        (D("5.50"), D("40.41")),
    )


def test_a_single_rate_takes_the_whole_amount():
    assert collected_by_rate(D("600.00"), ((D("20.00"), D("7200.00")),)) == (
        (D("20.00"), D("600.00")),
    )


def test_an_invoice_without_an_amount_per_rate_cannot_be_split():
    with pytest.raises(ValueError, match="cannot be split"):
        collected_by_rate(D("100.00"), ())
    with pytest.raises(ValueError, match="cannot be split"):
        collected_by_rate(D("100.00"), ((D("20.00"), D("0.00")),))


def test_the_amount_collected_is_never_a_float():
    with pytest.raises(TypeError):
        collected_by_rate(100.0, THREE_RATES)
