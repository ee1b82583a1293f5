"""The audit log's filters: who, what, which kind of object, between which days."""

from django import forms
from django.utils.translation import gettext_lazy as _

from portage.audit import action_label, object_kind
from portage.forms import FrenchDateField
from portage.models import AuditEntry


class AuditFilterForm(forms.Form):
    """Each choice lists what the company's log holds; every filter is optional and goes in
    the page's address, so a filtered log can be bookmarked and paged."""

    who = forms.ChoiceField(label=_("Who"), required=False)
    action = forms.ChoiceField(label=_("What"), required=False)
    object_type = forms.ChoiceField(label=_("Object"), required=False)
    date_from = FrenchDateField(label=_("From"), required=False)
    date_to = FrenchDateField(label=_("To"), required=False)

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        entries = AuditEntry.objects.filter(tenant=tenant)
        everyone = [("", _("All"))]
        people = entries.order_by("actor_label").values_list("actor_label", flat=True)
        self.fields["who"].choices = everyone + [(name, name) for name in people.distinct()]
        actions = entries.order_by().values_list("action", flat=True).distinct()
        self.fields["action"].choices = everyone + sorted(
            ((code, action_label(code)) for code in actions), key=lambda choice: str(choice[1])
        )
        kinds = entries.order_by().values_list("object_type", flat=True).distinct()
        self.fields["object_type"].choices = everyone + sorted(
            ((kind, object_kind(kind)) for kind in kinds), key=lambda choice: str(choice[1])
        )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end comes before the start."))
        return cleaned

    def filter(self, entries):
        """`entries` narrowed to what the valid form asks for (all of them otherwise)."""
        if not self.is_valid():
            return entries
        data = self.cleaned_data
        if data["who"]:
            entries = entries.filter(actor_label=data["who"])
        if data["action"]:
            entries = entries.filter(action=data["action"])
        if data["object_type"]:
            entries = entries.filter(object_type=data["object_type"])
        if data["date_from"]:
            entries = entries.filter(created_at__date__gte=data["date_from"])
        if data["date_to"]:
            entries = entries.filter(created_at__date__lte=data["date_to"])
        return entries
