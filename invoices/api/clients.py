"""API v1: the company's clients."""

import django_filters
from django.core.validators import RegexValidator
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.response import Response

from invoices.models import Client
from invoices.services import billing
from invoices.services.billing import CLIENT_FIELDS
from invoices.terms import LEGAL_MAX_NET_DAYS
from portage.api.base import TenantViewSet
from portage.api.input import FILTERS, EmailAddress, SinceFilter, StrictInput
from portage.permissions import Perm
from portage.validators import compact_siren, compact_vat_number


class ClientSerializer(serializers.ModelSerializer, StrictInput):
    billing_emails = serializers.ListField(child=EmailAddress(), required=False)

    class Meta:
        model = Client
        fields = ["id", *CLIENT_FIELDS, "created_at"]
        read_only_fields = ["id", "created_at"]
        # The SIREN's and SIRET's digits are stated in the schema (a 400 when they are not
        # digits); their check digit and the VAT number are checked by the service (422).
        extra_kwargs = {
            "siren": {"validators": [RegexValidator(r"^[0-9]{9}$")]},
            "siret": {"validators": [RegexValidator(r"^[0-9]{14}$")]},
            "vat_number": {"validators": []},
            # The legal ceiling (L441-10), stated in the schema; unused under `eom45`.
            "payment_days": {"min_value": 0, "max_value": LEGAL_MAX_NET_DAYS},
        }

    def validate_siren(self, value):
        return compact_siren(value) if value else value

    def validate_vat_number(self, value):
        return compact_vat_number(value) if value else value


class ClientFilter(django_filters.FilterSet):
    created_since = SinceFilter(
        field_name="created_at",
        label="Clients created since this ISO date-time (a client carries no time of change).",
    )

    class Meta:
        model = Client
        fields = []


@extend_schema_view(
    list=extend_schema(summary="List the company's clients"),
    retrieve=extend_schema(summary="A client"),
    create=extend_schema(
        summary="Create a client",
        examples=[
            OpenApiExample(
                "A French company",
                value={
                    "legal_name": "Durand Industrie SAS",
                    "siren": "732829320",
                    "address_line1": "10 rue de la Paix",
                    "postal_code": "75002",
                    "city": "Paris",
                    "billing_emails": ["compta@durand.example"],
                    "payment_terms": "net",
                    "payment_days": 30,
                },
                request_only=True,
            )
        ],
    ),
    partial_update=extend_schema(
        summary="Change a client",
        description="Only the fields sent change; the same checks as on creation (SIREN, "
        "VAT number, payment terms within the legal ceiling).",
    ),
)
class ClientViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, TenantViewSet
):
    serializer_class = ClientSerializer
    filterset_class = ClientFilter
    filter_backends = FILTERS
    ordering_fields = ["legal_name", "created_at", "id"]
    read_perm = Perm.VIEW_CLIENTS
    write_perm = Perm.MANAGE_CLIENTS
    queryset = Client.objects.none()

    def get_queryset(self):
        return Client.objects.all()

    def perform_create(self, serializer):
        fields = {name: serializer.validated_data.get(name) for name in CLIENT_FIELDS}
        defaults = {name: Client._meta.get_field(name).get_default() for name in CLIENT_FIELDS}
        data = {
            name: value if value is not None else defaults[name] for name, value in fields.items()
        }
        serializer.instance = billing.client_create(
            tenant=self.request.tenant, by=self.request.user, **data
        )

    def partial_update(self, request, pk=None):
        client = self.get_object()
        serializer = self.get_serializer(client, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        updated = billing.client_update(client=client, by=request.user, **serializer.validated_data)
        return Response(self.get_serializer(updated).data)
