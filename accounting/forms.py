from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from accounting.models import ChartOfAccounts
from accounting.services import CHART_FIELDS
from portage.forms import FrenchDateField

# The chart's page groups its fields: (legend, [(number field, label field)]).
CHART_GROUPS = [
    (
        _("Accounts"),
        [
            ("client_account", "client_account_label"),
            ("sales_account", "sales_account_label"),
            ("bank_account", "bank_account_label"),
            ("insurer_account", "insurer_account_label"),
            ("opening_account", "opening_account_label"),
        ],
    ),
    (
        _("VAT collected"),
        [
            ("vat_account_20", None),
            ("vat_account_10", None),
            ("vat_account_5_5", None),
            ("vat_account_2_1", None),
            ("vat_account_label", None),
        ],
    ),
    (
        _("Journals"),
        [
            ("sales_journal", "sales_journal_label"),
            ("bank_journal", "bank_journal_label"),
            ("insurance_journal", "insurance_journal_label"),
            ("opening_journal", "opening_journal_label"),
        ],
    ),
]


class ChartForm(forms.ModelForm):
    class Meta:
        model = ChartOfAccounts
        fields = CHART_FIELDS

    def groups(self):
        return [
            (legend, [(self[number], self[label] if label else None) for number, label in rows])
            for legend, rows in CHART_GROUPS
        ]


class PeriodForm(forms.Form):
    date_from = FrenchDateField(label=_("From"))
    date_to = FrenchDateField(label=_("To (closing date)"))

    @staticmethod
    def initial_for(today):
        return {"date_from": date(today.year, 1, 1), "date_to": today}
