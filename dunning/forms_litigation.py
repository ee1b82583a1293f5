"""Forms of the letters, messages and litigation pages."""

from django import forms
from django.utils.translation import gettext_lazy as _

from dunning.models import LitigationFile, Message
from dunning.services.litigation import handlers, next_states
from invoices.models import Client
from portage.forms import FrenchDateField
from portage.models import User


class LetterPostedForm(forms.Form):
    """The registered mail receipt of a formal notice; one per letter on the page, each
    with its own prefix."""

    reference = forms.CharField(
        label=_("Registered mail number"),
        max_length=60,
        help_text=_("As printed on the receipt, such as 1A 234 567 8901 2."),
    )
    posted_on = FrenchDateField(label=_("Posted on"))

    def __init__(self, *args, letter, **kwargs):
        super().__init__(*args, prefix=f"letter{letter.pk}", **kwargs)
        self.letter = letter


class MessageFilterForm(forms.Form):
    client = forms.ModelChoiceField(
        label=_("Client"), queryset=Client.objects.none(), required=False, empty_label=_("All")
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All")), *Message.Status.choices], required=False
    )

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = Client.objects.filter(tenant=tenant).order_by("legal_name")


class LitigationUpdateForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), choices=LitigationFile.State.choices)
    assignee_kind = forms.ChoiceField(
        label=_("Handled by"), choices=LitigationFile.AssigneeKind.choices
    )
    assignee = forms.ModelChoiceField(
        label=_("Collector"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("When a collector of the company handles the file."),
    )
    assignee_name = forms.CharField(
        label=_("Agency or lawyer"),
        max_length=200,
        required=False,
        help_text=_("When a collection agency or a lawyer handles the file."),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, tenant, file, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = {file.state} | next_states(file.state)
        self.fields["state"].choices = [
            (value, label) for value, label in LitigationFile.State.choices if value in allowed
        ]
        self.fields["assignee"].queryset = handlers(tenant).order_by("full_name", "email")
        self.fields["assignee"].label_from_instance = lambda user: user.get_full_name()


class LitigationDocumentForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    file = forms.FileField(
        label=_("File"),
        help_text=_("PDF, PNG or JPEG, 10 MB at most."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/png,image/jpeg"}),
    )
