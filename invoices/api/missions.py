"""API v1: a consultant's missions for a client."""

from decimal import Decimal

import django_filters
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.response import Response

from consultants.models import Consultant
from invoices.api.common import one_of
from invoices.models import Client, Mission
from invoices.services import billing
from invoices.services.billing import MISSION_FIELDS
from invoices.terms import PaymentTerms
from portage.api.base import TenantViewSet
from portage.api.input import FILTERS, SinceFilter, StrictInput
from portage.permissions import Perm


class MissionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Mission
        fields = ["id", "consultant", "client", *MISSION_FIELDS, "created_at"]
        read_only_fields = fields


class MissionInput(StrictInput):
    consultant = serializers.IntegerField()
    client = serializers.IntegerField()
    title = serializers.CharField(max_length=200)
    start_date = serializers.DateField()
    end_date = serializers.DateField(required=False, allow_null=True, default=None)
    daily_rate = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=Decimal("0"))
    payment_terms = serializers.ChoiceField(
        choices=PaymentTerms.choices, required=False, help_text="Default: the client's."
    )
    payment_days = serializers.IntegerField(
        min_value=0, max_value=366, required=False, help_text="Default: the client's."
    )
    purchase_order = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default=""
    )

    def validate_consultant(self, value):
        return one_of(Consultant, value, _("No such consultant."))

    def validate_client(self, value):
        return one_of(Client, value, _("No such client."))


class MissionFilter(django_filters.FilterSet):
    consultant = django_filters.NumberFilter(field_name="consultant_id")
    client = django_filters.NumberFilter(field_name="client_id")
    created_since = SinceFilter(
        field_name="created_at", label="Missions created since (ISO date-time)."
    )

    class Meta:
        model = Mission
        fields = []


@extend_schema_view(
    list=extend_schema(summary="List missions", description="Filter by consultant or client."),
    retrieve=extend_schema(summary="A mission"),
    create=extend_schema(
        summary="Create a mission of a consultant for a client",
        description="Payment terms default to the client's.",
        request=MissionInput,
        responses={201: MissionSerializer},
        examples=[
            OpenApiExample(
                "Six months at 650 EUR a day",
                value={
                    "consultant": 7,
                    "client": 12,
                    "title": "Audit SI",
                    "start_date": "2026-04-01",
                    "end_date": "2026-09-30",
                    "daily_rate": "650.00",
                    "purchase_order": "BC-2026-118",
                },
                request_only=True,
            )
        ],
    ),
)
class MissionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, TenantViewSet
):
    serializer_class = MissionSerializer
    filterset_class = MissionFilter
    filter_backends = FILTERS
    ordering_fields = ["start_date", "created_at", "id"]
    read_perm = Perm.VIEW_CLIENTS
    write_perm = Perm.MANAGE_CLIENTS
    queryset = Mission.objects.none()

    def get_queryset(self):
        return Mission.objects.all()

    def create(self, request, *args, **kwargs):
        data = MissionInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        client = fields.pop("client")
        fields.setdefault("payment_terms", client.payment_terms)
        fields.setdefault("payment_days", client.payment_days)
        mission = billing.mission_create(
            tenant=request.tenant, client=client, by=request.user, **fields
        )
        return Response(MissionSerializer(mission).data, status=status.HTTP_201_CREATED)
