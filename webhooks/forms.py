from django import forms
from django.utils.translation import gettext_lazy

from webhooks.models import EventType


class EndpointForm(forms.Form):
    url = forms.URLField(
        label=gettext_lazy("URL"),
        max_length=500,
        assume_scheme="https",
        help_text=gettext_lazy("The address of your receiver, e.g. https://erp.example/hooks."),
    )
    description = forms.CharField(
        label=gettext_lazy("Description"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("What receives the events, e.g. the accounting tool."),
    )
    events = forms.MultipleChoiceField(
        label=gettext_lazy("Events"),
        choices=EventType.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    def add_service_errors(self, error):
        """Puts a service's ValidationError on the fields it names."""
        for field, messages in error.message_dict.items():
            for message in messages:
                self.add_error(field if field in self.fields else None, message)
