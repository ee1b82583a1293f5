"""Money is Decimal with two places, rounded half up as French accounting does."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def to_cents(value):
    """`value` (Decimal, int or str; never float) rounded half up to the cent."""
    if isinstance(value, float):
        raise TypeError("money is never a float")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


NNBSP = "\u202f"  # the French thousands separator (narrow no-break space)


def french_number(value, places=None, *, grouped=True):
    """`value` written the French way: 1234.5 → "1 234,50" with `places=2`, "1 234,5"
    without (its own decimals, trailing zeros dropped); `grouped=False` leaves out the
    thousands separator, as in a form's input ("1234,50")."""
    grouping = "," if grouped else ""
    number = Decimal(value)
    if places is None:
        text = f"{number:{grouping}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
    else:
        text = f"{number:{grouping}.{places}f}"
    return text.replace(",", NNBSP).replace(".", ",")
