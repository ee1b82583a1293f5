from decimal import Decimal

from django import forms
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from consultants.models import Consultant
from invoices.models import Client, Invoice, InvoiceLine, Mission, Payment
from invoices.services.billing import CLIENT_FIELDS, MISSION_FIELDS, VAT_RATES
from portage.forms import AmountField, CompactIdentifiersMixin, FrenchDateField, QuantityField
from portage.templatetags.portage import percent
from portage.validators import compact_siret

VAT_CHOICES = [(str(rate), percent(rate)) for rate in VAT_RATES]
STATEMENT_MAX_BYTES = 5_000_000


class EmailListField(forms.CharField):
    """Several email addresses, one per line or separated by commas."""

    widget = forms.Textarea(attrs={"rows": 2})

    def to_python(self, value):
        text = super().to_python(value) or ""
        return [part.strip() for part in text.replace(",", "\n").splitlines() if part.strip()]

    def validate(self, value):
        super().validate(value)
        for email in value:
            validate_email(email)

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value


class ClientForm(CompactIdentifiersMixin, forms.ModelForm):
    """A client; identifiers typed with spaces are stored compact, then checked."""

    siren = forms.CharField(label=_("SIREN"), max_length=20, required=False)
    siret = forms.CharField(
        label=_("SIRET of the billed establishment"), max_length=25, required=False
    )
    vat_number = forms.CharField(label=_("VAT number"), max_length=30, required=False)
    billing_emails = EmailListField(
        label=_("Billing contact emails"),
        required=False,
        help_text=_("One per line. Reminders are sent to these addresses."),
    )

    class Meta:
        model = Client
        fields = CLIENT_FIELDS

    def clean_siret(self):
        return compact_siret(self.cleaned_data["siret"])


class MissionForm(forms.ModelForm):
    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["consultant"] = forms.ModelChoiceField(
            label=_("Consultant"),
            queryset=Consultant.objects.filter(
                tenant=tenant, status=Consultant.Status.ACTIVE
            ).select_related("user"),
        )

    class Meta:
        model = Mission
        fields = MISSION_FIELDS
        field_classes = {
            "daily_rate": AmountField,
            "start_date": FrenchDateField,
            "end_date": FrenchDateField,
        }


class InvoiceDraftForm(forms.Form):
    client = forms.ModelChoiceField(label=_("Client"), queryset=Client.objects.none())
    consultant = forms.ModelChoiceField(label=_("Consultant"), queryset=Consultant.objects.none())
    mission = forms.ModelChoiceField(
        label=_("Mission"),
        queryset=Mission.objects.none(),
        required=False,
        help_text=_("Its payment terms and purchase order apply."),
    )
    purchase_order = forms.CharField(
        label=_("Purchase order reference"), max_length=100, required=False
    )
    period_start = FrenchDateField(
        label=_("Service period from"),
        required=False,
        help_text=_(
            "Printed on the invoice and sent to the e-invoicing platform. Left empty: the "
            "mission's dates, up to the issue date."
        ),
    )
    period_end = FrenchDateField(
        label=_("Service period to"),
        required=False,
    )

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = Client.objects.filter(tenant=tenant)
        self.fields["consultant"].queryset = Consultant.objects.filter(
            tenant=tenant
        ).select_related("user")
        self.fields["mission"].queryset = Mission.objects.filter(tenant=tenant).select_related(
            "client"
        )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("period_start"), cleaned.get("period_end")
        if (start is None) != (end is None) and not self.errors:
            self.add_error(
                "period_end" if start else "period_start",
                _("The service period needs both its start and its end."),
            )
        elif start and end and end < start:
            self.add_error("period_end", _("The service period cannot end before it starts."))
        return cleaned


class LineForm(forms.Form):
    description = forms.CharField(label=_("Description"), max_length=300)
    quantity = QuantityField(
        label=_("Quantity"), min_value=Decimal("0.001"), max_digits=12, decimal_places=3
    )
    # With their defaults as initial values, a line left blank counts as unchanged: skipped.
    unit = forms.ChoiceField(
        label=_("Unit"), choices=InvoiceLine.Unit.choices, initial=InvoiceLine.Unit.DAY
    )
    unit_price = AmountField(
        label=_("Unit price excl. VAT"), min_value=Decimal("0"), max_digits=12, decimal_places=2
    )
    vat_rate = forms.TypedChoiceField(
        label=_("VAT"), choices=VAT_CHOICES, coerce=Decimal, initial="20.00"
    )


class BaseLineFormSet(forms.BaseFormSet):
    def clean(self):
        super().clean()
        if not any(
            form.cleaned_data and not form.cleaned_data.get("DELETE")
            for form in self.forms
            if form.is_valid()
        ):
            raise forms.ValidationError(_("An invoice needs at least one line."))

    def lines(self):
        return [
            {
                name: form.cleaned_data[name]
                for name in ("description", "quantity", "unit", "unit_price", "vat_rate")
            }
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]


LineFormSet = forms.formset_factory(LineForm, formset=BaseLineFormSet, extra=2, can_delete=True)


class CreditNoteForm(forms.Form):
    FULL, PARTIAL = "full", "partial"
    scope = forms.ChoiceField(
        label=_("Cancel"),
        choices=[(FULL, _("the whole invoice")), (PARTIAL, _("part of it"))],
        widget=forms.RadioSelect,
        initial=FULL,
    )
    description = forms.CharField(
        label=_("Description of the part"), max_length=300, required=False
    )
    amount_ht = AmountField(
        label=_("Amount excl. VAT"),
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
        required=False,
    )
    vat_rate = forms.TypedChoiceField(
        label=_("VAT"), choices=VAT_CHOICES, coerce=Decimal, initial="20.00", required=False
    )
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def clean(self):
        data = super().clean()
        if data.get("scope") == self.PARTIAL:
            for name in ("description", "amount_ht"):
                if not data.get(name):
                    self.add_error(name, _("Needed for a partial credit note."))
        return data

    def lines(self):
        data = self.cleaned_data
        if data["scope"] == self.FULL:
            return None
        return [
            {
                "description": data["description"],
                "quantity": Decimal("1"),
                "unit": "C62",
                "unit_price": data["amount_ht"],
                "vat_rate": data["vat_rate"],
            }
        ]


class AllocationsForm(forms.Form):
    """An amount field per open invoice of a client, each at most its balance."""

    def __init__(self, *args, invoices, **kwargs):
        super().__init__(*args, **kwargs)
        self.invoices = invoices
        for invoice in invoices:
            self.fields[f"allocate_{invoice.pk}"] = AmountField(
                label=invoice.number,
                required=False,
                min_value=Decimal("0"),
                max_value=invoice.balance,
                max_digits=12,
                decimal_places=2,
            )

    def allocation_fields(self):
        return [(invoice, self[f"allocate_{invoice.pk}"]) for invoice in self.invoices]

    def allocations(self):
        return [
            (invoice, self.cleaned_data[f"allocate_{invoice.pk}"])
            for invoice in self.invoices
            if self.cleaned_data.get(f"allocate_{invoice.pk}")
        ]


class PaymentForm(AllocationsForm):
    """A payment of one client and its allocation to the client's open invoices."""

    amount = AmountField(
        label=_("Amount received"), min_value=Decimal("0.01"), max_digits=12, decimal_places=2
    )
    received_on = FrenchDateField(label=_("Received on"))
    method = forms.ChoiceField(label=_("Method"), choices=Payment.Method.choices)
    reference = forms.CharField(label=_("Reference"), max_length=140, required=False)


class ReversalForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        help_text=_("For instance: bounced cheque, payment entered twice."),
    )


class AllocateForm(forms.Form):
    invoice = forms.ModelChoiceField(label=_("Invoice"), queryset=Invoice.objects.none())
    amount = AmountField(
        label=_("Amount"), min_value=Decimal("0.01"), max_digits=12, decimal_places=2
    )

    def __init__(self, *args, invoices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["invoice"].queryset = invoices


class StatementForm(forms.Form):
    file = forms.FileField(
        label=_("Bank statement"),
        help_text=_(
            "CAMT.053 (XML) or CSV, at most 5 MB. The CSV layout is described in the documentation."
        ),
    )

    def clean_file(self):
        file = self.cleaned_data["file"]
        if file.size > STATEMENT_MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        return file


class DismissForm(forms.Form):
    reason = forms.CharField(label=_("Why is it not a client payment?"), max_length=200)
