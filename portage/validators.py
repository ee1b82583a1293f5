"""Identifiers checked with their check digits (python-stdnum), with messages a user can act on."""

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
