"""The company's chart of accounts for the accounting export (plan comptable): which account
and journal each kind of entry goes to. One per company, saved the first time its admin
changes it; until then the defaults below apply."""

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from portage.models import TenantOwned

ACCOUNT_PATTERN = re.compile(r"^\d{3,20}$")
JOURNAL_PATTERN = re.compile(r"^[A-Z0-9]{1,10}$")


def validate_account(value):
    """A FEC account number (CompteNum): its first three characters are digits of the French
    chart of accounts (LPF art. A47 A-1); here the whole number is digits, 3 to 20 long."""
    if not ACCOUNT_PATTERN.match(value or ""):
        raise ValidationError(
            _("An account number has 3 to 20 digits, nothing else."), code="account"
        )


def validate_journal(value):
    if not JOURNAL_PATTERN.match(value or ""):
        raise ValidationError(
            _("A journal code has 1 to 10 capital letters or digits."), code="journal"
        )


def _account(label, default):
    return models.CharField(label, max_length=20, default=default, validators=[validate_account])


def _label(label, default):
    return models.CharField(label, max_length=100, default=default)


def _journal(label, default):
    return models.CharField(label, max_length=10, default=default, validators=[validate_journal])


# The class of the French chart of accounts (PCG) each account must belong to: a client
# account in class 4 (third parties), sales in class 7, the bank in class 5.
ACCOUNT_CLASSES = {
    "client_account": "4",
    "sales_account": "7",
    "vat_account_20": "4",
    "vat_account_10": "4",
    "vat_account_5_5": "4",
    "vat_account_2_1": "4",
    "bank_account": "5",
    "insurer_account": "4",
}


class ChartOfAccounts(TenantOwned):
    """Accounts and journals of the export. Labels are in French: they are written as they
    are into the FEC, a file for the French tax administration."""

    client_account = _account(_("clients (control account)"), "411000")
    client_account_label = _label(_("label"), "Clients")
    sales_account = _account(_("sales of services"), "706000")
    sales_account_label = _label(_("label"), "Prestations de services")
    vat_account_20 = _account(_("VAT collected at 20 %"), "445710")
    vat_account_10 = _account(_("VAT collected at 10 %"), "445710")
    vat_account_5_5 = _account(_("VAT collected at 5.5 %"), "445710")
    vat_account_2_1 = _account(_("VAT collected at 2.1 %"), "445710")
    vat_account_label = _label(_("label"), "TVA collectée")
    bank_account = _account(_("bank"), "512000")
    bank_account_label = _label(_("label"), "Banque")
    insurer_account = _account(_("credit insurer (indemnities received)"), "467000")
    insurer_account_label = _label(_("label"), "Assureur-crédit, indemnités reçues")
    sales_journal = _journal(_("sales journal"), "VT")
    sales_journal_label = _label(_("label"), "Ventes")
    bank_journal = _journal(_("bank journal"), "BQ")
    bank_journal_label = _label(_("label"), "Banque")
    insurance_journal = _journal(_("credit insurance journal"), "AS")
    insurance_journal_label = _label(_("label"), "Assurance-crédit")
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("chart of accounts")
        verbose_name_plural = _("charts of accounts")
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="accounting_chart_once"),
        ]

    def __str__(self):
        return str(_("Chart of accounts"))

    def clean(self):
        errors = {}
        for field, first in ACCOUNT_CLASSES.items():
            value = getattr(self, field)
            if ACCOUNT_PATTERN.match(value or "") and not value.startswith(first):
                errors[field] = _("This account belongs to class %(first)s.") % {"first": first}
        seen = set()
        for field in ("sales_journal", "bank_journal", "insurance_journal"):
            code = getattr(self, field)
            if code in seen:
                errors[field] = _("Each journal has its own code.")
            seen.add(code)
        if errors:
            raise ValidationError(errors)

    def vat_account(self, rate):
        """The VAT account of a rate (in %); rates without their own account use 20 %'s."""
        accounts = {
            "20.00": self.vat_account_20,
            "10.00": self.vat_account_10,
            "5.50": self.vat_account_5_5,
            "2.10": self.vat_account_2_1,
        }
        return accounts.get(f"{rate:.2f}", self.vat_account_20)
