"""Money is Decimal with two places, rounded half up as French accounting does."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def to_cents(value):
    """`value` (Decimal, int or str; never float) rounded half up to the cent."""
    if isinstance(value, float):
        raise TypeError("money is never a float")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
