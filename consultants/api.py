"""API v1 for consultants and their activity account (compte d'activité). The same services
and selectors as the pages."""

from decimal import Decimal

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from consultants import services
from consultants.models import Consultant, LedgerEntry
from consultants.selectors import consultants_with_balance, ledger_of
from invoices.selectors import pay_status
from portage.api.base import TenantViewSet
from portage.api.input import FILTERS, EmailAddress, SinceFilter, StrictInput
from portage.permissions import Perm

MONEY = {"max_digits": 14, "decimal_places": 2, "read_only": True}


class ConsultantSerializer(serializers.ModelSerializer, StrictInput):
    """A consultant; a PATCH may change `fee_rate` and `status`, nothing else."""

    email = serializers.EmailField(source="user.email", read_only=True)
    full_name = serializers.CharField(source="user.full_name", read_only=True)

    class Meta:
        model = Consultant
        fields = ["id", "email", "full_name", "fee_rate", "start_date", "status"]
        read_only_fields = ["id", "email", "full_name", "start_date"]


class ConsultantInput(StrictInput):
    email = EmailAddress()
    full_name = serializers.CharField(max_length=150)
    fee_rate = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("50"),
        help_text="Management fee (frais de gestion), % of what the consultant bills excl. VAT.",
    )
    start_date = serializers.DateField()


class ConsultantFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Consultant.Status.choices)

    class Meta:
        model = Consultant
        fields = []


@extend_schema_view(
    list=extend_schema(summary="List the company's consultants"),
    retrieve=extend_schema(summary="A consultant"),
    create=extend_schema(
        summary="Add a consultant",
        description="The person is invited by email with the consultant role (unless already "
        "a consultant member of the company), and their profile and activity account open.",
        request=ConsultantInput,
        responses={201: ConsultantSerializer},
        examples=[
            OpenApiExample(
                "A new consultant",
                value={
                    "email": "claire.martin@example.com",
                    "full_name": "Claire Martin",
                    "fee_rate": "8.00",
                    "start_date": "2026-04-01",
                },
                request_only=True,
            )
        ],
    ),
    partial_update=extend_schema(
        summary="Change a consultant's fee rate or status",
        description="A new fee rate applies to invoices issued from now on; the invoices "
        "already issued keep theirs.",
    ),
)
class ConsultantViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, TenantViewSet
):
    serializer_class = ConsultantSerializer
    filterset_class = ConsultantFilter
    filter_backends = FILTERS
    ordering_fields = ["start_date", "id"]
    read_perm = Perm.VIEW_CONSULTANTS
    write_perm = Perm.MANAGE_CONSULTANTS
    queryset = Consultant.objects.none()

    def get_queryset(self):
        return Consultant.objects.select_related("user")

    def create(self, request, *args, **kwargs):
        data = ConsultantInput(data=request.data)
        data.is_valid(raise_exception=True)
        consultant = services.consultant_create(
            tenant=request.tenant, by=request.user, **data.validated_data
        )
        return Response(ConsultantSerializer(consultant).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        consultant = self.get_object()
        data = ConsultantSerializer(consultant, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        changes = {"fee_rate": consultant.fee_rate, "status": consultant.status}
        changes.update(data.validated_data)
        updated = services.consultant_update(consultant=consultant, by=request.user, **changes)
        return Response(ConsultantSerializer(updated).data)


# The activity account (compte d'activité)


class AccountRowSerializer(serializers.ModelSerializer):
    consultant = serializers.IntegerField(source="pk", read_only=True)
    full_name = serializers.CharField(source="user.full_name", read_only=True)
    balance = serializers.DecimalField(
        **MONEY, help_text="What the company owes the consultant: the sum of the entries."
    )

    class Meta:
        model = Consultant
        fields = ["consultant", "full_name", "balance"]
        read_only_fields = fields


class InvoicePaySerializer(serializers.Serializer):
    invoice = serializers.IntegerField(source="invoice.pk")
    number = serializers.CharField(source="invoice.number")
    client = serializers.CharField(source="invoice.client.legal_name")
    issue_date = serializers.DateField(source="invoice.issue_date")
    status = serializers.CharField(source="invoice.status")
    billed_ht = serializers.DecimalField(**MONEY, help_text="Billed excl. VAT, after credit notes.")
    fee = serializers.DecimalField(**MONEY, help_text="Management fee (frais de gestion).")
    net = serializers.DecimalField(**MONEY, help_text="What the invoice brings the consultant.")
    acquired = serializers.DecimalField(
        **MONEY, help_text="Already in the activity account: acquired."
    )
    indemnified = serializers.DecimalField(**MONEY, help_text="Paid by the credit insurer.")
    lost = serializers.DecimalField(**MONEY)
    waiting = serializers.DecimalField(**MONEY, help_text="Waits for the client's payment.")


class AccountSerializer(serializers.Serializer):
    consultant = serializers.IntegerField(source="consultant.pk")
    full_name = serializers.CharField(source="consultant.user.full_name")
    balance = serializers.DecimalField(
        source="status.balance",
        **MONEY,
        help_text="What the company owes the consultant: the sum of the entries.",
    )
    invoices = InvoicePaySerializer(source="status.rows", many=True)


class LedgerEntrySerializer(serializers.ModelSerializer):
    invoice = serializers.IntegerField(source="invoice_pk", read_only=True, allow_null=True)

    class Meta:
        model = LedgerEntry
        fields = [
            "id",
            "kind",
            "amount",
            "booked_on",
            "label",
            "reason",
            "invoice",
            "reference",
            "created_at",
        ]
        read_only_fields = fields


class EntryFilter(django_filters.FilterSet):
    booked_after = django_filters.DateFilter(field_name="booked_on", lookup_expr="gte")
    booked_before = django_filters.DateFilter(field_name="booked_on", lookup_expr="lte")
    updated_since = SinceFilter(field_name="created_at")

    class Meta:
        model = LedgerEntry
        fields = []


@extend_schema_view(
    list=extend_schema(
        summary="List the activity accounts: one per consultant, with its balance",
    ),
    retrieve=extend_schema(
        summary="A consultant's pay status",
        description="The activity account's balance and, per issued invoice, what is "
        "acquired, what was indemnified and what waits for the client's payment.",
        responses=AccountSerializer,
    ),
)
class ActivityAccountViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """The consultants' activity accounts (comptes d'activité), read only: entries are
    written by the company's operations (invoices paid, fees, salaries, indemnities)."""

    serializer_class = AccountRowSerializer
    filterset_class = ConsultantFilter
    filter_backends = FILTERS
    ordering_fields = ["start_date", "id"]
    read_perm = Perm.VIEW_CONSULTANTS
    write_perm = Perm.MANAGE_CONSULTANTS
    queryset = Consultant.objects.none()

    def get_queryset(self):
        return consultants_with_balance(tenant=self.request.tenant)

    def retrieve(self, request, *args, **kwargs):
        consultant = self.get_object()
        account = {"consultant": consultant, "status": pay_status(consultant=consultant)}
        return Response(AccountSerializer(account).data)

    @extend_schema(
        summary="The entries of a consultant's activity account",
        description="Append-only: a mistake is corrected by an adjustment with its reason. "
        "Cursor-paginated, latest recorded first; `updated_since` gives the entries recorded "
        "since, for incremental sync.",
        parameters=[
            OpenApiParameter("booked_after", OpenApiTypes.DATE, description="Booked on or after."),
            OpenApiParameter(
                "booked_before", OpenApiTypes.DATE, description="Booked on or before."
            ),
            OpenApiParameter(
                "updated_since",
                OpenApiTypes.DATETIME,
                description="Recorded since (ISO date-time).",
            ),
        ],
        responses=LedgerEntrySerializer(many=True),
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def entries(self, request, pk=None):
        consultant = self.get_object()
        filtered = EntryFilter(request.query_params, queryset=ledger_of(consultant=consultant))
        if not filtered.is_valid():
            raise serializers.ValidationError(filtered.errors)
        page = self.paginator.paginate_queryset(filtered.qs, request, view=self)
        return self.paginator.get_paginated_response(LedgerEntrySerializer(page, many=True).data)
