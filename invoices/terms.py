"""Payment terms and the legal ceiling on them (Code de commerce L441-10 I).

Agreed terms may not exceed 60 days from the invoice date, or 45 days end of month when
the contract says so. "45 days end of month" is computed as the end of the month in which
the 45th day falls (the reading the DGCCRF accepts alongside end of month + 45 days).
"""

import calendar
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

LEGAL_MAX_NET_DAYS = 60


class PaymentTerms(models.TextChoices):
    NET = "net", _("Net, in days from the invoice date")
    END_OF_MONTH_45 = "eom45", _("45 days end of month")


def validate_terms(terms, days):
    """Refuse terms beyond the legal ceiling, with a message the user can act on."""
    if terms == PaymentTerms.NET and not 0 <= (days or 0) <= LEGAL_MAX_NET_DAYS:
        raise ValidationError(
            _(
                "Payment terms of %(days)s days exceed the legal ceiling of 60 days from the "
                "invoice date (Code de commerce L441-10)."
            ),
            params={"days": days},
            code="terms_beyond_ceiling",
        )


def due_date(*, issued_on, terms, days):
    """The due date of an invoice issued on `issued_on` under these terms."""
    validate_terms(terms, days)
    if terms == PaymentTerms.END_OF_MONTH_45:
        day_45 = issued_on + timedelta(days=45)
        last_day = calendar.monthrange(day_45.year, day_45.month)[1]
        return day_45.replace(day=last_day)
    return issued_on + timedelta(days=days)


def describe(terms, days):
    """The terms as printed on the invoice."""
    if terms == PaymentTerms.END_OF_MONTH_45:
        return _("Payment at 45 days end of month")
    if days == 0:
        return _("Payment on receipt")
    return _("Payment at %(days)s days") % {"days": days}
