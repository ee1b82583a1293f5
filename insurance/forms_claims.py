"""Forms of the claims and overdue declarations pages."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from portage.forms import AmountField, FrenchDateField

REFERENCE_HELP = _("As shown on the insurer's portal or in its letter, if it gave one.")


def _reference_field():
    return forms.CharField(
        label=_("Insurer's reference"), max_length=60, required=False, help_text=REFERENCE_HELP
    )


class DeclarationSentForm(forms.Form):
    """An overdue declared on the insurer's portal; one per declaration on the page."""

    declared_on = FrenchDateField(label=_("Declared on"))
    insurer_reference = _reference_field()

    def __init__(self, *args, declaration, **kwargs):
        super().__init__(*args, prefix=f"declaration{declaration.pk}", **kwargs)
        self.declaration = declaration


class ClaimFileForm(forms.Form):
    prefix = "file"
    filed_on = FrenchDateField(label=_("Filed on"))
    insurer_reference = _reference_field()


class ClaimAcknowledgeForm(forms.Form):
    prefix = "acknowledge"
    insurer_reference = _reference_field()


class ClaimIndemnifyForm(forms.Form):
    prefix = "indemnify"
    amount = AmountField(
        label=_("Indemnity received"),
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0.01"),
        help_text=_(
            "What the insurer paid. Each consultant's activity account is credited with "
            "their invoices' share, net of the management fee."
        ),
    )
    paid_on = FrenchDateField(label=_("Paid on"))


class ClaimRejectForm(forms.Form):
    prefix = "reject"
    reason = forms.CharField(
        label=_("Reason given by the insurer"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    confirm = forms.BooleanField(
        label=_("The insurer refuses to pay this claim"),
        help_text=_("A rejected claim can only be closed afterwards."),
    )


class ClaimCloseForm(forms.Form):
    prefix = "close"
    confirm = forms.BooleanField(
        label=_("Nothing more is expected from the insurer on this claim"),
        help_text=_("A closed claim no longer changes."),
    )


class SubrogationForm(forms.Form):
    """The subrogation simulator: a payment that would be received from the client."""

    amount = AmountField(
        label=_("Payment from the client"),
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0.01"),
    )
    received_on = FrenchDateField(label=_("Received on"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="sim", **kwargs)
