from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from portage.models import Membership, Tenant
from portage.permissions import Role
from portage.validators import compact_bic, compact_iban, compact_siren, compact_vat_number

LOGO_MAX_BYTES = 2_000_000


class DatePicker(forms.DateInput):
    """The browser's date picker; it reads and writes ISO dates, whatever the language."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


COMPANY_FIELDS = [
    "legal_name",
    "legal_form",
    "share_capital",
    "siren",
    "rcs_city",
    "vat_number",
    "address_line1",
    "address_line2",
    "postal_code",
    "city",
    "country",
    "iban",
    "bic",
    "logo",
    "invoice_prefix",
    "credit_note_prefix",
    "number_yearly_reset",
    "late_penalty_rate",
    "pay_model",
    "sender_name",
    "sender_email",
]


class CompactIdentifiersMixin:
    """Identifiers may be typed with spaces or dots: they are stored compact, then checked
    by the model's validators (python-stdnum). Django calls each hook only for the fields
    the form has."""

    def clean_siren(self):
        return compact_siren(self.cleaned_data["siren"])

    def clean_vat_number(self):
        return compact_vat_number(self.cleaned_data["vat_number"])

    def clean_iban(self):
        return compact_iban(self.cleaned_data["iban"])

    def clean_bic(self):
        return compact_bic(self.cleaned_data["bic"])

    def clean_country(self):
        return self.cleaned_data["country"].strip().upper()


class CompanyForm(CompactIdentifiersMixin, forms.ModelForm):
    """The portage company's identity, as printed on its invoices and letters.

    Identifiers may be typed with spaces or dots; they are stored compact, then checked.
    """

    siren = forms.CharField(label=_("SIREN"), max_length=20)
    vat_number = forms.CharField(label=_("VAT number"), max_length=30, required=False)
    iban = forms.CharField(label=_("IBAN"), max_length=50, required=False)
    bic = forms.CharField(label=_("BIC"), max_length=20, required=False)

    class Meta:
        model = Tenant
        fields = COMPANY_FIELDS
        widgets = {"logo": forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"})}

    def clean_country(self):
        country = super().clean_country()
        if not (len(country) == 2 and country.isalpha() and country.isascii()):
            raise forms.ValidationError(
                _("Give the country as its two-letter ISO code, such as FR or BE.")
            )
        return country

    def clean_logo(self):
        logo = self.cleaned_data["logo"]
        if isinstance(logo, UploadedFile):
            if logo.size > LOGO_MAX_BYTES:
                raise forms.ValidationError(
                    _("The logo is too large (%(size)s MB); keep it under 2 MB."),
                    params={"size": round(logo.size / 1_000_000, 1)},
                )
            if logo.image.format not in {"PNG", "JPEG"}:
                raise forms.ValidationError(_("The logo must be a PNG or JPEG image."))
        return logo


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Email address"))
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class MemberRoleForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["role"]


def add_service_error(form, error):
    """Put a service's refusal (a ValidationError) on the form, on the field it names when
    it names one of the form's fields, else on the form as a whole."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)
