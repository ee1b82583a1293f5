"""The company's chart of accounts for the accounting export (plan comptable): which account
and journal each kind of entry goes to. One per company, saved the first time its admin
changes it; until then the defaults (`accounting.defaults`) apply."""

import re
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounting.defaults import DEFAULT_CHART
from portage.models import TenantOwned

ACCOUNT_PATTERN = re.compile(r"^[0-9]{3,20}$")
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
# account in class 4 (third parties), sales in class 7, the bank in class 5, the opening
# balance sheet (bilan d'ouverture, 890) in class 8.
ACCOUNT_CLASSES = {
    "client_account": "4",
    "sales_account": "7",
    "vat_account_20": "4",
    "vat_account_10": "4",
    "vat_account_5_5": "4",
    "vat_account_2_1": "4",
    "bank_account": "5",
    "insurer_account": "4",
    "opening_account": "8",
}
# The VAT collected of each rate (in %), by field.
VAT_ACCOUNTS = {
    "20.00": "vat_account_20",
    "10.00": "vat_account_10",
    "5.50": "vat_account_5_5",
    "2.10": "vat_account_2_1",
}
JOURNALS = ["sales_journal", "bank_journal", "insurance_journal", "opening_journal"]


class ChartOfAccounts(TenantOwned):
    """Accounts and journals of the export. Labels are in French: they are written as they
    are into the FEC, a file for the French tax administration."""

    client_account = _account(_("clients (control account)"), DEFAULT_CHART["client_account"])
    client_account_label = _label(_("label"), DEFAULT_CHART["client_account_label"])
    sales_account = _account(_("sales of services"), DEFAULT_CHART["sales_account"])
    sales_account_label = _label(_("label"), DEFAULT_CHART["sales_account_label"])
    # One account per rate by default (sub-accounts of 44571): each account number keeps
    # one label in the FEC. Rates sharing an account share the label alone.
    vat_account_20 = _account(_("VAT collected at 20 %"), DEFAULT_CHART["vat_account_20"])
    vat_account_10 = _account(_("VAT collected at 10 %"), DEFAULT_CHART["vat_account_10"])
    vat_account_5_5 = _account(_("VAT collected at 5.5 %"), DEFAULT_CHART["vat_account_5_5"])
    vat_account_2_1 = _account(_("VAT collected at 2.1 %"), DEFAULT_CHART["vat_account_2_1"])
    vat_account_label = _label(_("label"), DEFAULT_CHART["vat_account_label"])
    bank_account = _account(_("bank"), DEFAULT_CHART["bank_account"])
    bank_account_label = _label(_("label"), DEFAULT_CHART["bank_account_label"])
    insurer_account = _account(
        _("credit insurer (indemnities received)"), DEFAULT_CHART["insurer_account"]
    )
    insurer_account_label = _label(_("label"), DEFAULT_CHART["insurer_account_label"])
    opening_account = _account(
        _("opening balance sheet (counterpart of the à-nouveaux)"), DEFAULT_CHART["opening_account"]
    )
    opening_account_label = _label(_("label"), DEFAULT_CHART["opening_account_label"])
    sales_journal = _journal(_("sales journal"), DEFAULT_CHART["sales_journal"])
    sales_journal_label = _label(_("label"), DEFAULT_CHART["sales_journal_label"])
    bank_journal = _journal(_("bank journal"), DEFAULT_CHART["bank_journal"])
    bank_journal_label = _label(_("label"), DEFAULT_CHART["bank_journal_label"])
    insurance_journal = _journal(_("credit insurance journal"), DEFAULT_CHART["insurance_journal"])
    insurance_journal_label = _label(_("label"), DEFAULT_CHART["insurance_journal_label"])
    opening_journal = _journal(
        _("opening balances journal (à-nouveaux)"), DEFAULT_CHART["opening_journal"]
    )
    opening_journal_label = _label(_("label"), DEFAULT_CHART["opening_journal_label"])
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
        # One account number, one label in the FEC: no number serves two purposes, but
        # the VAT rates may share one ("TVA collectée").
        by_number = defaultdict(list)
        for field in ACCOUNT_CLASSES:
            by_number[getattr(self, field)].append(field)
        for fields in by_number.values():
            purposes = {"vat" if field in VAT_ACCOUNTS.values() else field for field in fields}
            if len(purposes) < 2:
                continue
            for field in fields:
                others = ", ".join(
                    str(self._meta.get_field(other).verbose_name)
                    for other in fields
                    if other != field
                )
                errors.setdefault(
                    field,
                    _(
                        "This number is also the account of %(others)s: in the FEC each "
                        "account number has one label."
                    )
                    % {"others": others},
                )
        seen = set()
        for field in JOURNALS:
            code = getattr(self, field)
            if code in seen:
                errors[field] = _("Each journal has its own code.")
            seen.add(code)
        if errors:
            raise ValidationError(errors)

    def vat_account(self, rate):
        """The VAT account of a rate (in %); rates without their own account use 20 %'s."""
        return getattr(self, VAT_ACCOUNTS.get(f"{rate:.2f}", "vat_account_20"))

    def vat_account_label_of(self, rate):
        """The label (CompteLib) of the rate's VAT account: "TVA collectée 20 %" when the
        account is the rate's alone, the shared label when several rates use it, so that
        an account number never has two labels in the FEC."""
        account = self.vat_account(rate)
        sharing = [field for field in VAT_ACCOUNTS.values() if getattr(self, field) == account]
        if len(sharing) > 1:
            return self.vat_account_label
        return f"{self.vat_account_label} {rate.normalize():f} %".replace(".", ",")
