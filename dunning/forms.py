from decimal import Decimal

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from dunning.models import ClientSettings, Policy, RateSemester, StepKind
from dunning.services.policies import KIND_CHANNEL, POLICY_FIELDS, placeholders_help
from portage.forms import AmountField, RateField

MAX_STEPS = 20


class PolicyForm(forms.ModelForm):
    """A policy's own fields; its steps come in a `StepFormSet`. The default policy stays the
    default until another one is made the default."""

    notice_deadline_days = forms.IntegerField(
        label=_("Deadline given by the formal notice (days)"), min_value=1, max_value=90
    )

    class Meta:
        model = Policy
        fields = [*POLICY_FIELDS, "is_default"]
        field_classes = {"minimum_balance": AmountField}

    def __init__(self, *args, is_default=False, **kwargs):
        super().__init__(*args, **kwargs)
        if is_default:
            self.fields["is_default"].disabled = True
            self.fields["is_default"].help_text = _(
                "To change the default, make another policy the default from the list."
            )

    def policy_data(self):
        return {name: self.cleaned_data[name] for name in [*POLICY_FIELDS, "is_default"]}


def _kind_choices():
    return [("", "---------")] + [
        (kind.value, format_lazy("{} — {}", kind.label, KIND_CHANNEL[kind].label))
        for kind in StepKind
    ]


class StepForm(forms.Form):
    """One step of the ladder with its French and English templates. No field has an initial
    value, so that a blank extra row counts as unchanged and is ignored."""

    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    kind = forms.ChoiceField(
        label=_("Kind and channel"),
        choices=_kind_choices,
        help_text=_("The channel follows the kind of step."),
    )
    days_from_due = forms.IntegerField(
        label=_("Days after the due date"),
        min_value=-90,
        max_value=3650,
        help_text=_("Negative for a step before the due date, e.g. -3."),
    )
    min_days_after_previous = forms.IntegerField(
        label=_("Minimum days after the previous step"),
        min_value=0,
        max_value=365,
        required=False,
        help_text=_("Empty: 0."),
    )
    subject_fr = forms.CharField(label=_("Subject (French)"), max_length=200, required=False)
    subject_en = forms.CharField(label=_("Subject (English)"), max_length=200, required=False)
    body_fr = forms.CharField(
        label=_("Body (French)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=format_lazy("{} {}", _("Placeholders you may use:"), placeholders_help()),
    )
    body_en = forms.CharField(
        label=_("Body (English)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Empty: the French text is used for clients who read English too."),
    )


class BaseStepFormSet(forms.BaseFormSet):
    def clean(self):
        super().clean()
        kept = [
            form
            for index, form in enumerate(self.forms)
            if (index < self.initial_form_count() or form.has_changed())
            and not self._should_delete_form(form)
        ]
        if not kept:
            raise forms.ValidationError(_("A policy needs at least one step."))

    def steps(self):
        """The steps in the order asked (the order column, then their place on the page)."""
        return [
            {
                **{
                    name: form.cleaned_data[name]
                    for name in ("id", "kind", "days_from_due", "subject_fr", "body_fr")
                },
                "min_days_after_previous": form.cleaned_data["min_days_after_previous"] or 0,
                "subject_en": form.cleaned_data["subject_en"],
                "body_en": form.cleaned_data["body_en"],
            }
            for form in self.ordered_forms
        ]


StepFormSet = forms.formset_factory(
    StepForm,
    formset=BaseStepFormSet,
    extra=1,
    can_order=True,
    can_delete=True,
    max_num=MAX_STEPS,
    validate_max=True,
)


class ClientSettingsForm(forms.Form):
    policy = forms.ModelChoiceField(
        label=_("Dunning policy"),
        queryset=Policy.objects.none(),
        required=False,
        help_text=_(
            "Applies to the invoices that enter the ladder from now on; invoices already "
            "followed keep the policy they started with."
        ),
    )
    language = forms.ChoiceField(
        label=_("Language of messages"),
        choices=ClientSettings.Language.choices,
        help_text=_("Reminders and formal notices are written in this language."),
    )

    def __init__(self, *args, default_policy=None, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["policy"]
        field.queryset = Policy.objects.order_by("name")
        field.empty_label = (
            format_lazy("{} ({})", _("The company's default policy"), default_policy.name)
            if default_policy
            else _("The company's default policy")
        )


class RateForm(forms.ModelForm):
    """A half-year's reference rates. A half-year is added once; in the table its year and
    half-year travel as hidden fields, so a row saves to the half-year it shows."""

    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    half = forms.TypedChoiceField(
        label=_("Half-year"),
        choices=RateSemester._meta.get_field("half").choices,
        coerce=int,
    )
    ecb_rate = RateField(
        label=_("ECB main refinancing rate (%)"),
        min_value=Decimal("-5"),
        max_value=Decimal("50"),
        decimal_places=2,
        required=False,
    )
    legal_rate = RateField(
        label=_("Legal interest rate for professionals (%)"),
        min_value=Decimal("0"),
        max_value=Decimal("50"),
        decimal_places=2,
        required=False,
    )

    class Meta:
        model = RateSemester
        fields = ["year", "half", "ecb_rate", "legal_rate"]

    def __init__(self, *args, existing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.existing = existing
        if existing:
            self.fields["year"].widget = forms.HiddenInput()
            self.fields["half"].widget = forms.HiddenInput()

    def period(self):
        """ "2026 — 1 July", for the row of an existing half-year."""
        try:
            half = dict(self.fields["half"].choices)[int(self["half"].value())]
        except (KeyError, TypeError, ValueError):
            half = self["half"].value()
        return f"{self['year'].value()} — {half}"

    def clean(self):
        data = super().clean()
        year, half = data.get("year"), data.get("half")
        if (
            not self.existing
            and year
            and half
            and RateSemester.objects.filter(year=year, half=half).exists()
        ):
            raise forms.ValidationError(
                _("The rates of this half-year are already in the table: correct them there.")
            )
        if (
            data.get("ecb_rate") is None
            and data.get("legal_rate") is None
            and "ecb_rate" not in self.errors
            and "legal_rate" not in self.errors
        ):
            raise forms.ValidationError(
                _("Enter at least one of the two rates; leave the other empty until published.")
            )
        return data

    def row(self):
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class BaseRateFormSet(forms.BaseFormSet):
    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "existing": True}

    def rows(self):
        return [form.row() for form in self.forms if form.has_changed()]


RateFormSet = forms.formset_factory(RateForm, formset=BaseRateFormSet, extra=0)
