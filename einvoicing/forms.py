"""Forms of the e-invoicing pages: the company's platform settings, a status entered by
hand, a directory entry read on the directory's site, the answer to a payment e-reporting."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from einvoicing.connectors.base import STATUSES
from einvoicing.defaults import DEFAULT_SCHEME
from einvoicing.models import PlatformAccount
from einvoicing.services.platform import (
    ACCOUNT_FIELDS,
    SECRET_FIELDS,
    TENANT_FIELDS,
    platform_settings_save,
)
from einvoicing.services.statuses import SENDER_OF
from portage.forms import FrenchDateField, add_service_error
from portage.models import Tenant


class PlatformSettingsForm(forms.ModelForm):
    """The company's account with its plateforme agréée, and the two company settings the
    e-invoices print (VAT on debits, the company's electronic address). The key and the
    secret are write-only: never shown back, left empty they stay as recorded."""

    api_base_url = forms.URLField(
        label=_("API address"),
        required=False,
        assume_scheme="https",
        help_text=_("Only for a platform reached through its API."),
    )
    directory_url = forms.URLField(
        label=_("directory API address"),
        required=False,
        assume_scheme="https",
        help_text=_(
            "Only when the platform publishes its directory service under another address "
            "than its flow service."
        ),
    )
    api_key = forms.CharField(
        label=_("API key"),
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to keep the one recorded."),
    )
    api_secret = forms.CharField(
        label=_("signing secret"),
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to keep the one recorded."),
    )
    vat_on_debits = Tenant._meta.get_field("vat_on_debits").formfield()
    einvoicing_address = Tenant._meta.get_field("einvoicing_address").formfield()

    class Meta:
        model = PlatformAccount
        fields = ACCOUNT_FIELDS
        field_classes = {"in_scope_from": FrenchDateField}

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        if not self.is_bound:
            for name in TENANT_FIELDS:
                self.initial[name] = getattr(tenant, name)

    def save(self, *, by):
        """Saves through the service; its refusals land next to their fields. Returns the
        account, or None when the service refused."""
        data = {name: self.cleaned_data[name] for name in ACCOUNT_FIELDS + TENANT_FIELDS}
        credentials = {name: self.cleaned_data[name] for name in SECRET_FIELDS}
        try:
            return platform_settings_save(
                tenant=self.tenant, actor=by, data=data, credentials=credentials
            )
        except ValidationError as error:
            add_service_error(self, error)
            return None


# Statuses a person may enter by hand, in the order of the lifecycle.
ENTERABLE = [(code, f"{code} {STATUSES[code]}") for code in sorted(SENDER_OF)]


class StatusEntryForm(forms.Form):
    """A status as read on the platform's portal, or told by the buyer another way."""

    code = forms.ChoiceField(label=_("status"), choices=ENTERABLE)
    issued_on = FrenchDateField(label=_("date"))
    reason_code = forms.CharField(label=_("reason code"), max_length=20, required=False)
    reason_text = forms.CharField(
        label=_("reason"),
        max_length=500,
        required=False,
        help_text=_("Required for a refusal, a dispute, a suspension or a rejection."),
    )


class DirectoryEntryForm(forms.Form):
    """The client's entry as read on the directory's site (annuaire)."""

    address = forms.CharField(
        label=_("electronic invoicing address"),
        max_length=100,
        help_text=_("Usually the client's SIREN, sometimes followed by a routing code."),
    )
    scheme = forms.CharField(
        label=_("address scheme"),
        max_length=4,
        initial=DEFAULT_SCHEME,
        help_text=_("0225 for an address built on the SIREN."),
    )
    platform = forms.CharField(label=_("receiving platform"), max_length=200)
    routing_code = forms.CharField(label=_("routing code"), max_length=100, required=False)


class UploadedForm(forms.Form):
    flow_id = forms.CharField(
        label=_("platform's flow id"),
        max_length=100,
        required=False,
        help_text=_("The number the platform's portal gave the file, if it shows one."),
    )


class ReportAnswerForm(forms.Form):
    accepted = forms.TypedChoiceField(
        label=_("platform's answer"),
        choices=[("1", _("Accepted")), ("0", _("Rejected"))],
        coerce=lambda value: value == "1",
    )
    reason = forms.CharField(label=_("reason"), max_length=500, required=False)
