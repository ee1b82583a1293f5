import django_filters
from django.utils.translation import gettext_lazy as _

from consultants.models import Consultant
from invoices.models import Client, Invoice
from portage.forms import DatePicker


def _clients(request):
    return Client.objects.filter(tenant=request.tenant)


def _consultants(request):
    return Consultant.objects.filter(tenant=request.tenant).select_related("user")


class InvoiceFilter(django_filters.FilterSet):
    number = django_filters.CharFilter(label=_("Number"), lookup_expr="icontains")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Invoice.Status.choices)
    client = django_filters.ModelChoiceFilter(label=_("Client"), queryset=_clients)
    consultant = django_filters.ModelChoiceFilter(label=_("Consultant"), queryset=_consultants)
    due_after = django_filters.DateFilter(
        label=_("Due from"),
        field_name="due_date",
        lookup_expr="gte",
        widget=DatePicker(),
    )
    due_before = django_filters.DateFilter(
        label=_("Due until"),
        field_name="due_date",
        lookup_expr="lte",
        widget=DatePicker(),
    )

    class Meta:
        model = Invoice
        fields = []


class ClientFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")

    class Meta:
        model = Client
        fields = []

    def search(self, queryset, name, value):
        return queryset.filter(legal_name__icontains=value) | queryset.filter(
            siren=value.replace(" ", "")
        )
