import django_filters
from django.db.models import F, Q
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from consultants.models import Consultant
from invoices.models import Client, Invoice, Payment
from portage.forms import AmountField, FrenchDateField


def _clients(request):
    return Client.objects.filter(tenant=request.tenant)


def _consultants(request):
    return Consultant.objects.filter(tenant=request.tenant).select_related("user")


class SortFilter(django_filters.OrderingFilter):
    """Sorts by one of the list's columns (`?o=client`, `?o=-amount`): empty values last
    whichever the direction, and the newest row first among equals, so that a page's rows
    never move between pages."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label", _("Sort by"))
        super().__init__(*args, **kwargs)

    def build_choices(self, fields, labels):
        """django-filter's choices, with the descending labels formatted when shown (it
        formats them once at import, in the default language, so a French page showed
        "Issue date (descending)")."""
        choices = super().build_choices(fields, labels)
        ascending = dict(choices[::2])
        descending = lazy(lambda label: str(self.descending_fmt) % label, str)
        return [
            (param, descending(ascending[param[1:]]) if param.startswith("-") else label)
            for param, label in choices
        ]

    def get_ordering_value(self, param):
        descending = param.startswith("-")
        field = F(self.param_map[param.lstrip("-")])
        return field.desc(nulls_last=True) if descending else field.asc(nulls_last=True)

    def filter(self, qs, value):
        if value in ([], (), {}, "", None):
            return qs
        return qs.order_by(*[self.get_ordering_value(param) for param in value], "-pk")


class FrenchDateFilter(django_filters.DateFilter):
    """A day typed as French people write it ("05/01/2027"), whatever the browser's
    language; the ISO form of the pages' addresses is read too (`FrenchDateField`)."""

    field_class = FrenchDateField


def invoice_sort():
    """The sorts of an invoice table by its column headers (`?o=lateness`), the same on
    the invoice list and on a client's page."""
    return SortFilter(
        fields=(
            ("client__legal_name", "client"),
            ("issue_date", "issued"),
            ("due_date", "due"),
            ("days_late", "lateness"),
            ("total_ttc", "amount"),
        ),
        field_labels={
            "client__legal_name": _("Client"),
            "issue_date": _("Issue date"),
            "due_date": _("Due date"),
            "days_late": _("Lateness"),
            "total_ttc": _("Total incl. VAT"),
        },
    )


OVERDUE = "overdue"


class InvoiceFilter(django_filters.FilterSet):
    """The invoice list's filters and sorts; its queryset carries `days_late`
    (`selectors.invoice_list` with today)."""

    number = django_filters.CharFilter(label=_("Number"), lookup_expr="icontains")
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=[(OVERDUE, _("Overdue")), *Invoice.Status.choices],
        method="filter_status",
    )
    client = django_filters.ModelChoiceFilter(label=_("Client"), queryset=_clients)
    consultant = django_filters.ModelChoiceFilter(label=_("Consultant"), queryset=_consultants)
    due_after = FrenchDateFilter(label=_("Due from"), field_name="due_date", lookup_expr="gte")
    due_before = FrenchDateFilter(label=_("Due until"), field_name="due_date", lookup_expr="lte")

    o = invoice_sort()

    class Meta:
        model = Invoice
        fields = []

    def filter_status(self, queryset, name, value):
        if value == OVERDUE:
            return queryset.filter(days_late__gt=0)
        return queryset.filter(status=value)


class InvoiceSortFilter(django_filters.FilterSet):
    """An invoice table sorted by its column headers alone (a client's page); its queryset
    carries `days_late`."""

    o = invoice_sort()

    class Meta:
        model = Invoice
        fields = []


class ClientFilter(django_filters.FilterSet):
    """The clients' list: searched by name or SIREN, sorted by a column (its queryset
    carries `exposure`, `selectors.clients_with_exposure`)."""

    q = django_filters.CharFilter(label=_("Search"), method="search")
    o = SortFilter(
        fields=(("legal_name", "client"), ("city", "city"), ("exposure", "exposure")),
        field_labels={
            "legal_name": _("Client"),
            "city": _("City"),
            "exposure": _("Exposure (incl. VAT)"),
        },
    )

    class Meta:
        model = Client
        fields = []

    def search(self, queryset, name, value):
        return queryset.filter(legal_name__icontains=value) | queryset.filter(
            siren=value.replace(" ", "")
        )


class AmountFilter(django_filters.NumberFilter):
    """An amount as French people type it ("5 000,00"), see `portage.forms.AmountField`."""

    field_class = AmountField


class PaymentFilter(django_filters.FilterSet):
    """The payments' list: by client, amount, date and reference, sorted by a column."""

    q = django_filters.CharFilter(label=_("Client or reference"), method="search")
    amount = AmountFilter(label=_("Amount"), max_digits=12, decimal_places=2)
    received_after = FrenchDateFilter(
        label=_("Received from"), field_name="received_on", lookup_expr="gte"
    )
    received_before = FrenchDateFilter(
        label=_("Received until"), field_name="received_on", lookup_expr="lte"
    )
    o = SortFilter(
        fields=(
            ("client__legal_name", "client"),
            ("received_on", "date"),
            ("amount", "amount"),
            ("reference", "reference"),
        ),
        field_labels={
            "client__legal_name": _("Client"),
            "received_on": _("Received on"),
            "amount": _("Amount"),
            "reference": _("Reference"),
        },
    )

    class Meta:
        model = Payment
        fields = []

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(client__legal_name__icontains=value) | Q(reference__icontains=value)
        )
