from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from consultants.models import Consultant, LedgerEntry
from portage.forms import AmountField, FrenchDateField, RateField


class ConsultantCreateForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    email = forms.EmailField(label=_("Email address"))
    fee_rate = RateField(
        label=_("Management fee (%)"),
        min_value=Decimal("0"),
        max_value=Decimal("50"),
        max_digits=5,
        decimal_places=2,
        initial=Decimal("10"),
    )
    start_date = FrenchDateField(label=_("Start date"))


class ConsultantEditForm(forms.ModelForm):
    class Meta:
        model = Consultant
        fields = ["fee_rate", "status"]
        field_classes = {"fee_rate": RateField}


class PayOutForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[
            (LedgerEntry.Kind.SALARY_PAID, LedgerEntry.Kind.SALARY_PAID.label),
            (LedgerEntry.Kind.ADVANCE, LedgerEntry.Kind.ADVANCE.label),
        ],
    )
    amount = AmountField(
        label=_("Amount paid"), min_value=Decimal("0.01"), max_digits=12, decimal_places=2
    )
    booked_on = FrenchDateField(label=_("Date"))
    label = forms.CharField(
        label=_("Label"), max_length=200, help_text=_("For instance: salary of March 2026.")
    )


class AdjustmentForm(forms.Form):
    amount = AmountField(
        label=_("Amount"),
        max_digits=12,
        decimal_places=2,
        help_text=_("Positive when the company owes more to the consultant, negative otherwise."),
    )
    booked_on = FrenchDateField(label=_("Date"))
    reason = forms.CharField(label=_("Reason"), max_length=300)
