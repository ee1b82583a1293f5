"""Pure computations of the e-invoicing reports: no database, no platform."""

from decimal import Decimal

from portage.money import ZERO, to_cents


def collected_by_rate(amount, shares):
    """The amount collected (TTC) on an invoice, split across its VAT rates: a tuple of
    (rate, amount) in the order of `shares`, each rounded to the cent, adding up exactly to
    `amount`.

    A portage company's VAT on services is due when the price is collected, and up to what
    is collected (CGI art. 269, 2, c; BOI-TVA-BASE-20-20; directive 2006/112/CE art. 65,
    "à concurrence du montant encaissé"), so the status 212 Encaissée states the amount
    collected per VAT rate (XP Z12-012, BR-FR-CDV-14: one amount and one rate per rate
    collected). When one payment covers part of an invoice with several rates, each rate
    takes its share of the invoice's amount incl. VAT: amount × the rate's TTC / the
    invoice's TTC. [unverified] Neither the code nor the BOFiP found says how a partial
    payment is spread over several rates: the pro rata is the usual practice (and what the
    accounting of VAT on collection does), not a rule read in a text.

    `shares` is ((rate, TTC of that rate), ...): the invoice's VAT breakdown, net of its
    credit notes. Each part is rounded half up to the cent; what rounding leaves over (a
    cent or two, either way) goes to the largest share (the first of equal ones), so the
    parts always add up to `amount`. The split of a negative amount (a correction) is the
    exact opposite of the split of its positive.
    """
    if not isinstance(amount, Decimal):
        raise TypeError(f"the amount collected must be a Decimal, not {type(amount).__name__}")
    shares = tuple((Decimal(rate), Decimal(share)) for rate, share in shares)
    total = sum((share for _rate, share in shares), ZERO)
    if not shares or total == ZERO:
        raise ValueError("an invoice without an amount per VAT rate cannot be split")
    parts = [to_cents(amount * share / total) for _rate, share in shares]
    largest = max(range(len(shares)), key=lambda i: (abs(shares[i][1]), -i))
    parts[largest] += to_cents(amount) - sum(parts, ZERO)
    return tuple((rate, part) for (rate, _share), part in zip(shares, parts, strict=True))
