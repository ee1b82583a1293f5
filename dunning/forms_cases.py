"""Forms of the worklist and the client timeline: filters, pauses, contacts, acknowledgements."""

from django import forms
from django.utils.translation import gettext_lazy as _

from dunning.models import Case, ContactLog, LitigationFile, Pause, StepKind
from dunning.selectors import SORTS
from portage.forms import AmountField, FrenchDateField


class WorklistFilterForm(forms.Form):
    q = forms.CharField(label=_("Client or invoice"), required=False)
    consultant = forms.ModelChoiceField(
        label=_("Consultant"), queryset=None, required=False, empty_label=_("All")
    )
    state = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", _("All")), *Case.State.choices]
    )
    step = forms.ChoiceField(
        label=_("Last step"), required=False, choices=[("", _("All")), *StepKind.choices]
    )
    minimum = AmountField(label=_("Minimum amount"), required=False, min_value=0, decimal_places=2)
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[(key, label) for key, (_key, label) in SORTS.items()],
    )

    def __init__(self, *args, consultants, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["consultant"].queryset = consultants


class PauseForm(forms.Form):
    """Pause, promise or dispute for one invoice."""

    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[
            (Pause.Kind.MANUAL, _("Manual pause")),
            (Pause.Kind.PROMISE, _("Promise to pay")),
            (Pause.Kind.DISPUTE, _("Dispute")),
        ],
    )
    until = FrenchDateField(label=_("Until"), required=False)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=300)


class PlanForm(forms.Form):
    """A payment plan: up to six instalments that add up to the balance."""

    def __init__(self, *args, rows=6, **kwargs):
        super().__init__(*args, **kwargs)
        for index in range(1, rows + 1):
            self.fields[f"due_{index}"] = FrenchDateField(
                label=_("Instalment %(n)s date") % {"n": index}, required=False
            )
            self.fields[f"amount_{index}"] = AmountField(
                label=_("Amount"), required=False, min_value=0, decimal_places=2
            )
        self.rows = rows

    def instalments(self):
        return [
            (self.cleaned_data.get(f"due_{index}"), self.cleaned_data.get(f"amount_{index}"))
            for index in range(1, self.rows + 1)
            if self.cleaned_data.get(f"due_{index}") or self.cleaned_data.get(f"amount_{index}")
        ]


class ResumeForm(forms.Form):
    reason = forms.CharField(label=_("Why resume"), required=False, max_length=300)


class ConfirmForm(forms.Form):
    confirm = forms.BooleanField(label=_("I confirm"), required=True)


class LitigationOpenForm(ConfirmForm):
    assignee_kind = forms.ChoiceField(
        label=_("Handled by"), choices=LitigationFile.AssigneeKind.choices
    )
    assignee_name = forms.CharField(label=_("Agency or lawyer"), required=False, max_length=200)


class AcknowledgeForm(forms.Form):
    acknowledged_on = FrenchDateField(label=_("Acknowledged on"))
    evidence = forms.CharField(
        label=_("Evidence"),
        max_length=300,
        help_text=_("A signed letter, a partial payment, a payment plan accepted..."),
    )


class ContactForm(forms.Form):
    kind = forms.ChoiceField(label=_("What was done"), choices=ContactLog.Kind.choices)
    happened_on = FrenchDateField(label=_("Date"))
    invoice = forms.ModelChoiceField(
        label=_("Invoice"), queryset=None, required=False, empty_label=_("All open invoices")
    )
    promise_date = FrenchDateField(label=_("Promised payment date"), required=False)
    text = forms.CharField(
        label=_("Notes"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, invoices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["invoice"].queryset = invoices
        self.fields["invoice"].label_from_instance = lambda invoice: invoice.number
