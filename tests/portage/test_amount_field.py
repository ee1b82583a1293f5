"""Amounts typed as French people type them, read on the server whatever the browser's
language (portage.forms.AmountField); cases worked by hand."""

from decimal import Decimal

import pytest
from django import forms
from django.utils import translation

from portage.forms import AmountField, QuantityField, RateField
from portage.money import french_number

NBSP = "\u00a0"
NNBSP = "\u202f"


@pytest.fixture(autouse=True)
def _french():
    with translation.override("fr"):
        yield


def amount_field(**kwargs):
    return AmountField(max_digits=12, decimal_places=2, **kwargs)


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("5 000,00", Decimal("5000.00")),
        ("5000,00", Decimal("5000.00")),
        ("5000.00", Decimal("5000.00")),
        (f"5{NBSP}000,00", Decimal("5000.00")),
        (f"5{NNBSP}000,00", Decimal("5000.00")),
        ("5 000.00", Decimal("5000.00")),
        ("  5 000,00 € ", Decimal("5000.00")),
        ("1 234 567,8", Decimal("1234567.8")),
        ("12", Decimal("12")),
        ("0,5", Decimal("0.5")),
        (",5", Decimal("0.5")),
        ("-12,30", Decimal("-12.30")),
        ("\u221212,30", Decimal("-12.30")),
    ],
)
def test_an_amount_is_read_with_a_comma_or_a_dot_and_spaces_between_thousands(typed, value):
    assert amount_field().clean(typed) == value


def test_three_decimals_after_a_zero_are_not_ambiguous_but_too_many_decimals():
    with pytest.raises(forms.ValidationError) as error:
        amount_field().clean("0.500")
    assert [each.code for each in error.value.error_list] == ["max_decimal_places"]


def test_an_empty_amount_is_none():
    assert amount_field(required=False).clean("  ") is None
    assert amount_field(required=False).clean(" € ") is None


@pytest.mark.parametrize("typed", ["5.000,00", "5,000.00", "1.234,5"])
def test_a_dot_and_a_comma_together_are_refused_naming_what_was_typed(typed):
    with pytest.raises(forms.ValidationError) as error:
        amount_field().clean(typed)
    assert error.value.messages == [
        f"« {typed} » contient un point et une virgule : séparez les milliers par une "
        "espace et les décimales par une virgule, par exemple 5 000,00."
    ]


@pytest.mark.parametrize(
    ("typed", "thousands", "decimals", "thousands_typed", "decimals_typed"),
    [
        ("5.000", f"5{NNBSP}000", "5", "5000", "5,00"),
        ("5,000", f"5{NNBSP}000", "5", "5000", "5,00"),
        ("12.500", f"12{NNBSP}500", "12,5", "12500", "12,50"),
        ("-1,250", f"-1{NNBSP}250", "-1,25", "-1250", "-1,25"),
    ],
)
def test_one_mark_before_three_digits_is_ambiguous_in_an_amount(
    typed, thousands, decimals, thousands_typed, decimals_typed
):
    with pytest.raises(forms.ValidationError) as error:
        amount_field().clean(typed)
    assert error.value.messages == [
        f"« {typed} » peut se lire {thousands} ou {decimals} : écrivez {thousands_typed} "
        f"pour des milliers, ou {decimals_typed}."
    ]


@pytest.mark.parametrize(
    "typed", ["50 00", "5 0000", "1.000.000", "1,000,000", "abc", "5,", "-", "1e5"]
)
def test_what_is_not_a_number_is_refused_naming_what_was_typed(typed):
    with pytest.raises(forms.ValidationError) as error:
        amount_field().clean(typed)
    assert error.value.code == "invalid"
    assert error.value.messages[0].startswith(f"« {typed} » n'est pas un nombre")


def test_three_decimals_are_decimals_in_a_field_of_three_places():
    quantity = QuantityField(max_digits=12, decimal_places=3)
    assert quantity.clean("2,500") == Decimal("2.500")
    assert quantity.clean("2.500") == Decimal("2.500")


def test_a_rate_may_end_with_a_percent_sign():
    assert RateField(max_digits=5, decimal_places=2).clean("12,40 %") == Decimal("12.40")


def test_the_bounds_in_the_errors_are_written_the_french_way():
    field = amount_field(min_value=Decimal("0.01"), max_value=Decimal("1234.5"))
    with pytest.raises(forms.ValidationError) as error:
        field.clean("5 000")
    assert error.value.messages == [
        f"Assurez-vous que cette valeur est inférieure ou égale à 1{NNBSP}234,50."
    ]


def test_the_input_is_a_text_input_with_the_decimal_keyboard_showing_a_comma():
    html = RateField(max_digits=5, decimal_places=2).widget.render("rate", Decimal("2.40"))
    assert 'type="text"' in html
    assert 'inputmode="decimal"' in html
    assert 'value="2,40"' in html


def test_what_was_typed_is_shown_back_as_typed():
    class Form(forms.Form):
        amount = amount_field()

    form = Form(data={"amount": "5.000"})
    assert not form.is_valid()
    assert 'value="5.000"' in str(form["amount"])


@pytest.mark.parametrize(
    ("value", "places", "text"),
    [
        (Decimal("1234.5"), 2, f"1{NNBSP}234,50"),
        (Decimal("1234.5"), None, f"1{NNBSP}234,5"),
        (Decimal("5E+3"), None, f"5{NNBSP}000"),
        (Decimal("-1234567.891"), 2, f"-1{NNBSP}234{NNBSP}567,89"),
        (7, 2, "7,00"),
    ],
)
def test_french_number(value, places, text):
    assert french_number(value, places) == text
