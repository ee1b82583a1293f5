"""Forms of the premiums page and of blank tests (tests à blanc)."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from insurance.services.blank_test import MAX_BYTES
from portage.forms import AmountField, FrenchDateField


class TurnoverDeclarationForm(forms.Form):
    """A period's insurable turnover, pre-filled with the one computed from the invoices."""

    insurable_turnover = AmountField(
        label=_("Insurable turnover declared (excl. VAT)"),
        min_value=Decimal("0"),
        max_digits=14,
        decimal_places=2,
    )
    declared_on = FrenchDateField(label=_("Declared on"))


class BlankTestCreateForm(forms.Form):
    class Source:
        CSV = "csv"
        CLIENTS = "clients"

    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("For instance: “Offers 2027” or the name of the broker's consultation."),
    )
    source = forms.ChoiceField(
        label=_("Clients"),
        widget=forms.RadioSelect,
        initial=Source.CLIENTS,
        choices=[
            (Source.CLIENTS, _("The company's clients, with their exposure today")),
            (Source.CSV, _("A CSV file")),
        ],
    )
    file = forms.FileField(
        label=_("CSV file"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
        help_text=_(
            "Three columns: SIREN, name, exposure; separated by semicolons or commas, UTF-8, "
            "amounts with a decimal comma or point, an optional header line. At most 2,000 "
            "clients and 1 MB. A single wrong line and nothing is imported."
        ),
    )

    def clean(self):
        cleaned = super().clean()
        file = cleaned.get("file")
        if cleaned.get("source") == self.Source.CSV:
            if not file:
                self.add_error("file", _("Choose the CSV file of the clients."))
            elif file.size > MAX_BYTES:
                self.add_error("file", _("The file is larger than 1 MB."))
        return cleaned


class BlankTestAnswersForm(forms.Form):
    """The insurers' answers for a page of the test's clients: per client and insurer, the
    limit it would grant (0 is a refusal; empty, not answered yet) and its grade. `answers`
    holds the answers already given: {(client pk, insurer pk): (amount, grade)}."""

    def __init__(self, *args, clients, insurers, answers, **kwargs):
        super().__init__(*args, **kwargs)
        self.clients = list(clients)
        self.insurers = list(insurers)
        for client in self.clients:
            for insurer in self.insurers:
                answer = answers.get((client.pk, insurer.pk))
                amount = self._name("amount", client, insurer)
                grade = self._name("grade", client, insurer)
                self.fields[amount] = AmountField(
                    label=_("Limit granted by %(insurer)s to %(client)s")
                    % {"insurer": insurer.name, "client": client.name},
                    required=False,
                    min_value=Decimal("0"),
                    max_digits=14,
                    decimal_places=2,
                    initial=answer[0] if answer else None,
                )
                self.fields[grade] = forms.CharField(
                    label=_("Grade given by %(insurer)s to %(client)s")
                    % {"insurer": insurer.name, "client": client.name},
                    required=False,
                    max_length=10,
                    initial=answer[1] if answer else "",
                )

    @staticmethod
    def _name(kind, client, insurer):
        return f"{kind}_{client.pk}_{insurer.pk}"

    def clean(self):
        cleaned = super().clean()
        for client in self.clients:
            for insurer in self.insurers:
                grade = self._name("grade", client, insurer)
                if (
                    cleaned.get(grade)
                    and cleaned.get(self._name("amount", client, insurer)) is None
                ):
                    self.add_error(
                        grade, _("Give the limit granted with the grade (0 for a refusal).")
                    )
        return cleaned

    def answers(self):
        """{(client, insurer): (amount or None, grade)} for the service."""
        return {
            (client, insurer): (
                self.cleaned_data[self._name("amount", client, insurer)],
                self.cleaned_data[self._name("grade", client, insurer)],
            )
            for client in self.clients
            for insurer in self.insurers
        }

    def cells(self, client):
        """The (amount, grade) bound fields of one client, in the insurers' order."""
        return [
            (
                self[self._name("amount", client, insurer)],
                self[self._name("grade", client, insurer)],
            )
            for insurer in self.insurers
        ]
