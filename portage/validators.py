"""Identifiers checked with their check digits (python-stdnum), with messages a user can act on."""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import bic, iban
from stdnum.eu import vat
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import siren, siret


def _check(module, value, label):
    try:
        return module.validate(value)
    except InvalidChecksum:
        message = _("%(label)s %(value)s is not valid: its check digit is wrong.")
    except InvalidLength:
        message = _("%(label)s %(value)s is not valid: it has the wrong number of characters.")
    except (InvalidFormat, InvalidComponent):
        message = _("%(label)s %(value)s is not valid: it contains unexpected characters.")
    raise ValidationError(message, code="invalid", params={"label": label, "value": value})


def validate_siren(value):
    _check(siren, value, _("The SIREN number"))


def validate_siret(value):
    _check(siret, value, _("The SIRET number"))


def validate_vat_number(value):
    _check(vat, value, _("The VAT number"))


def validate_iban(value):
    _check(iban, value, _("The IBAN"))


def validate_bic(value):
    _check(bic, value, _("The BIC"))


def _compact(module, value):
    """The identifier without spaces or dots, or as typed when it cannot be read at all
    (empty, or no country prefix): the field's validator then says what is wrong, rather
    than the page failing."""
    if not value:
        return value
    try:
        return module.compact(value)
    except StdnumError:
        return value.strip()


def compact_siren(value):
    return _compact(siren, value)


def compact_siret(value):
    return _compact(siret, value)


def compact_vat_number(value):
    return _compact(vat, value)


def compact_iban(value):
    return _compact(iban, value)


def compact_bic(value):
    return _compact(bic, value)


# A business date (an invoice's issue, a payment received, a bank line booked) lies between
# these bounds: no company on the platform dealt in francs, and nothing is recorded for more
# than a year ahead. A date outside is a typing mistake (0001-01-01, 9999-12-31, 2062 for
# 2026), refused before it reaches the books.
EARLIEST_BUSINESS_DATE = date(2000, 1, 1)
DAYS_AHEAD = 366


def validate_business_date(day, *, today, label):
    """Refuses `day` when it is before 1 January 2000 or more than a year after `today`."""
    latest = today + timedelta(days=DAYS_AHEAD)
    if EARLIEST_BUSINESS_DATE <= day <= latest:
        return
    raise ValidationError(
        _("%(label)s (%(day)s) must lie between %(earliest)s and %(latest)s."),
        code="date_out_of_range",
        params={
            "label": label,
            "day": day.strftime("%d/%m/%Y"),
            "earliest": EARLIEST_BUSINESS_DATE.strftime("%d/%m/%Y"),
            "latest": latest.strftime("%d/%m/%Y"),
        },
    )
