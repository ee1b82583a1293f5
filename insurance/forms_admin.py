"""Forms of the credit insurance admin pages: insurers, policies and their terms, and the
requests and decisions on a client's credit limit."""

import re
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from insurance.models import (
    HUNDRED,
    PERCENT_TERMS,
    CreditLimit,
    InsurancePolicy,
    Insurer,
    bound_messages,
)
from insurance.selectors.limits import AFTER_NOTICE
from insurance.services.limits import DECISIONS
from insurance.services.policies import INSURER_FIELDS, POLICY_FIELDS
from invoices.models import Client
from portage.forms import AmountField, FrenchDateField, RateField
from portage.money import ZERO

# A policy's terms as the detail page and the form group them.
POLICY_GROUPS = [
    (_("Contract"), ["insurer", "number", "starts_on", "ends_on", "currency"]),
    (
        _("Premium"),
        [
            "premium_model",
            "premium_rate",
            "flat_premium",
            "turnover_ceiling",
            "deposit",
            "minimum_premium",
            "declaration_period",
        ],
    ),
    (
        _("Cover"),
        [
            "covered_share",
            "deductible_per_claim",
            "annual_aggregate_deductible",
            "claim_threshold",
            "annual_max_indemnity",
            "discretionary_limit",
            "covers_vat",
            "max_credit_days",
        ],
    ),
    (
        _("Deadlines"),
        [
            "declaration_basis",
            "declaration_days",
            "max_extension_days",
            "declaration_margin_days",
            "waiting_days",
            "notice_days",
        ],
    ),
    (_("Exclusions"), ["excluded_categories", "excluded_countries"]),
]


DECISION_FIELDS = [
    "status",
    "amount",
    "grade",
    "grade_scale",
    "decided_on",
    "valid_until",
    "insurer_reference",
    "note",
]


class InsurerForm(forms.ModelForm):
    api_base_url = forms.URLField(
        label=_("API address"),
        required=False,
        assume_scheme="https",
        help_text=_("Only for an insurer reached through its API."),
    )

    api_key = forms.CharField(
        label=_("API key"),
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to keep the one recorded."),
    )
    api_secret = forms.CharField(
        label=_("API signing secret"),
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to keep the one recorded."),
    )

    class Meta:
        model = Insurer
        fields = INSURER_FIELDS

    def insurer_data(self):
        return {name: self.cleaned_data[name] for name in INSURER_FIELDS}

    def credentials(self):
        return {name: self.cleaned_data.get(name, "") for name in ("api_key", "api_secret")}


def parse_countries(text):
    """ "ru, by;ir" → ["RU", "BY", "IR"]: codes split on commas, semicolons or spaces."""
    return list(dict.fromkeys(code.upper() for code in re.split(r"[,;\s]+", text) if code))


def _policy_formfield(field, **kwargs):
    # The company's insurers are only known inside a request (see `PolicyForm.__init__`).
    if field.name == "insurer":
        return forms.ModelChoiceField(label=_("Insurer"), queryset=Insurer.objects.none())
    if field.name in PERCENT_TERMS:
        kwargs["form_class"] = RateField
    elif field.get_internal_type() == "DecimalField":
        kwargs["form_class"] = AmountField
    messages = bound_messages(field)
    if messages:
        # Every number of the terms starts at 0, a percentage stops at 100: the bounds go in
        # the input, and the model's words next to it when one is crossed.
        kwargs.update(min_value=0, error_messages=messages)
        if "max_value" in messages:
            kwargs["max_value"] = HUNDRED
    return field.formfield(**kwargs)


class PolicyForm(forms.ModelForm):
    """Every term of a policy. The excluded categories are ticked; the excluded countries
    typed as ISO codes separated by commas."""

    excluded_categories = forms.MultipleChoiceField(
        label=_("Excluded client categories"),
        choices=Client.Category.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Invoices to clients of these categories are never covered."),
    )
    excluded_countries = forms.CharField(
        label=_("Excluded countries"),
        required=False,
        max_length=500,
        help_text=_(
            "Two-letter ISO codes separated by commas, e.g. RU, BY. Invoices to clients in "
            "these countries are never covered."
        ),
    )

    class Meta:
        model = InsurancePolicy
        fields = POLICY_FIELDS
        field_classes = {"starts_on": FrenchDateField, "ends_on": FrenchDateField}
        formfield_callback = _policy_formfield

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["insurer"].queryset = Insurer.objects.order_by("name")
        countries = self.initial.get("excluded_countries")
        if isinstance(countries, list):
            self.initial["excluded_countries"] = ", ".join(countries)

    def clean_excluded_countries(self):
        codes = parse_countries(self.cleaned_data["excluded_countries"])
        wrong = [code for code in codes if not re.fullmatch(r"[A-Z]{2}", code)]
        if wrong:
            raise forms.ValidationError(
                _("Not two-letter ISO country codes: %(codes)s. Write them like RU, BY."),
                params={"codes": ", ".join(wrong)},
            )
        return codes

    def clean(self):
        cleaned = super().clean()
        starts_on, ends_on = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts_on and ends_on and ends_on <= starts_on:
            self.add_error("ends_on", _("The policy must end after it starts."))
        return cleaned

    def groups(self):
        """The form's fields, grouped as on the detail page."""
        return [(title, [self[name] for name in names]) for title, names in POLICY_GROUPS]

    def policy_data(self):
        return {name: self.cleaned_data[name] for name in POLICY_FIELDS}


class _PolicyChoice:
    """The company's policies to choose from, the one in force today first chosen."""

    def __init__(self, *args, policy=None, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["policy"]
        field.queryset = InsurancePolicy.objects.select_related("insurer").order_by("-starts_on")
        field.initial = policy


class LimitRequestForm(_PolicyChoice, forms.Form):
    """A limit asked of the insurer for a client."""

    policy = forms.ModelChoiceField(
        label=_("Insurance policy"), queryset=InsurancePolicy.objects.none()
    )
    amount = AmountField(
        label=_("Amount asked"), max_digits=14, decimal_places=2, min_value=Decimal("0.01")
    )
    source = forms.ChoiceField(
        label=_("Asked by"),
        choices=[
            (CreditLimit.Source.BACK_OFFICE, CreditLimit.Source.BACK_OFFICE.label),
            (CreditLimit.Source.PROSPECT, CreditLimit.Source.PROSPECT.label),
        ],
    )


class LimitDecisionForm(_PolicyChoice, forms.Form):
    """The insurer's decision on a client's limit, as received."""

    policy = forms.ModelChoiceField(
        label=_("Insurance policy"), queryset=InsurancePolicy.objects.none()
    )
    status = forms.ChoiceField(
        label=_("Decision"),
        choices=[(status.value, status.label) for status in DECISIONS],
    )
    amount = AmountField(
        label=_("Limit"),
        max_digits=14,
        decimal_places=2,
        min_value=ZERO,
        required=False,
        help_text=_("Empty for a refused or cancelled limit."),
    )
    decided_on = FrenchDateField(label=_("Decided on"))
    valid_until = FrenchDateField(label=_("Valid until"), required=False)
    grade = forms.CharField(label=_("Grade"), max_length=10, required=False)
    grade_scale = forms.ChoiceField(label=_("Grade scale"), choices=CreditLimit.Scale.choices)
    insurer_reference = forms.CharField(
        label=_("Insurer's reference"), max_length=60, required=False
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
    confirm = forms.BooleanField(
        label=_("I confirm: the cover of this client's next invoices goes down"),
        required=False,
        help_text=_("Needed for a reduced or cancelled limit."),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("status") in AFTER_NOTICE and not cleaned.get("confirm"):
            self.add_error(
                "confirm",
                _("A reduced or cancelled limit lowers the cover: tick the box to confirm."),
            )
        return cleaned

    def decision_data(self):
        return {name: self.cleaned_data[name] for name in DECISION_FIELDS}
