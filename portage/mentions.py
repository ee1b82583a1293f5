"""The company's registration mentions (mentions légales d'immatriculation).

Code de commerce R123-237: every person registered in the RCS states on its invoices, order
forms, price lists, advertising and all its correspondence (emails included) its SIREN, the
word "RCS" followed by the city of the registry (greffe) where it is registered, and its
registered office. R123-238: a company states its name preceded or followed by its legal
form and the amount of its share capital. The name and the registered office are printed
where each document prints the company's address; this module writes the rest, once.
"""

from decimal import Decimal

from django.utils.translation import gettext as _
from stdnum.fr import siren as siren_number

from portage.money import NNBSP
from portage.templatetags.portage import NBSP


def share_capital_text(amount):
    """10000 → "10 000 €", 37000.50 → "37 000,50 €": cents only when there are some."""
    amount = Decimal(amount)
    places = 0 if amount == amount.to_integral_value() else 2
    return f"{amount:,.{places}f}".replace(",", NNBSP).replace(".", ",") + f"{NBSP}€"


def registration_mention(*, legal_form, share_capital, rcs_city, siren):
    """The mention printed after the company's name, in French as the law writes it:
    "SAS au capital de 10 000 € · RCS Paris 812 345 676" (R123-238 then R123-237 1° and 2°).
    A part the company has not given is left out; `missing_company_mentions` names it."""
    parts = []
    if legal_form and share_capital:
        parts.append(f"{legal_form} au capital de {share_capital_text(share_capital)}")
    elif legal_form:
        parts.append(legal_form)
    elif share_capital:
        parts.append(f"Capital social de {share_capital_text(share_capital)}")
    if rcs_city and siren:
        parts.append(f"RCS {rcs_city} {siren_number.format(siren)}")
    return " · ".join(parts)


def missing_company_mentions(tenant):
    """What the company has not given of what every invoice of it must print, each named
    as the company settings name it, with its source (empty when all are there): the
    registration mentions above, its VAT number (CGI art. 242 nonies A, I-1°) and the IBAN
    the client pays to (the payment instructions, EN 16931 BR-61)."""
    return [
        label
        for label, value in (
            (_("the company's legal form (Code de commerce R123-238)"), tenant.legal_form),
            (_("the company's share capital (Code de commerce R123-238)"), tenant.share_capital),
            (
                _("the city of the company's RCS registry (Code de commerce R123-237)"),
                tenant.rcs_city,
            ),
            (
                _("the company's registered office address (Code de commerce R123-237)"),
                tenant.address_line1 and tenant.postal_code and tenant.city,
            ),
            (_("the company's VAT number (CGI art. 242 nonies A)"), tenant.vat_number),
            (_("the company's IBAN, for the payment instructions"), tenant.iban),
        )
        if not value
    ]


def company_footer(tenant):
    """The one line that closes the company's emails and letters: name, registration
    mention and registered office (R123-237 3°): "Horizon Portage SAS · SAS au capital de
    50 000 € · RCS Paris 812 345 676 · 12 rue de la Paix, 75002 Paris"."""
    office = ", ".join(
        part
        for part in (
            tenant.address_line1,
            tenant.address_line2,
            " ".join(p for p in (tenant.postal_code, tenant.city) if p),
        )
        if part
    )
    return " · ".join(
        part for part in (tenant.legal_name, tenant.registration_mention, office) if part
    )
