"""API v1: payments received, their allocations to invoices, their reversal."""

from decimal import Decimal

import django_filters
from django.db.models import Q
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from invoices.models import Allocation, Client, Invoice, Payment
from invoices.services import payments
from portage.api.base import TenantViewSet, rule_broken
from portage.api.input import FILTERS, SinceFilter, StrictInput
from portage.permissions import Perm


class AllocationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Allocation
        fields = ["invoice", "amount", "is_active"]
        read_only_fields = fields


class PaymentSerializer(serializers.ModelSerializer):
    allocations = AllocationSerializer(many=True, read_only=True)

    class Meta:
        model = Payment
        fields = [
            "id",
            "client",
            "amount",
            "received_on",
            "method",
            "reference",
            "status",
            "allocations",
            "reversal_reason",
            "reversed_at",
            "created_at",
        ]
        read_only_fields = fields


class AllocationInput(StrictInput):
    invoice = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"))


class PaymentInput(StrictInput):
    client = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
    received_on = serializers.DateField()
    method = serializers.ChoiceField(choices=Payment.Method.choices, default="transfer")
    reference = serializers.CharField(max_length=140, required=False, default="")
    allocations = AllocationInput(many=True, required=False, default=list)

    def validate_client(self, value):
        client = Client.objects.filter(pk=value).first()
        if client is None:
            raise rule_broken(_("No such client."))
        return client

    def validate(self, data):
        invoices = {
            invoice.pk: invoice
            for invoice in Invoice.objects.filter(
                pk__in=[row["invoice"] for row in data["allocations"]]
            )
        }
        missing = [row["invoice"] for row in data["allocations"] if row["invoice"] not in invoices]
        if missing:
            raise rule_broken({"allocations": _("No such invoice: %s") % missing})
        data["allocations"] = [
            (invoices[row["invoice"]], row["amount"]) for row in data["allocations"]
        ]
        return data


class ReversalInput(StrictInput):
    reason = serializers.CharField(
        max_length=300, help_text="For instance: bounced cheque, payment entered twice."
    )


class PaymentFilter(django_filters.FilterSet):
    client = django_filters.NumberFilter(field_name="client_id")
    status = django_filters.ChoiceFilter(choices=Payment.Status.choices)
    received_after = django_filters.DateFilter(field_name="received_on", lookup_expr="gte")
    received_before = django_filters.DateFilter(field_name="received_on", lookup_expr="lte")
    updated_since = SinceFilter(
        method="changed_since",
        label="Payments recorded or reversed since this ISO date-time, for incremental sync.",
    )

    class Meta:
        model = Payment
        fields = []

    def changed_since(self, queryset, name, value):
        return queryset.filter(Q(created_at__gte=value) | Q(reversed_at__gte=value))


@extend_schema_view(
    list=extend_schema(
        summary="List payments received",
        description="Filter by client, status, date received; `updated_since` for "
        "incremental sync (a payment changes only when it is reversed).",
    ),
    retrieve=extend_schema(summary="A payment with its allocations"),
    create=extend_schema(
        summary="Record a payment received, allocated to invoices",
        description="Send an `Idempotency-Key` header: the same key with the same body returns "
        "the first answer without recording the payment again; with another body, 409.",
        request=PaymentInput,
        responses={201: PaymentSerializer},
        examples=[
            OpenApiExample(
                "A transfer paying one invoice",
                value={
                    "client": 12,
                    "amount": "7200.00",
                    "received_on": "2026-04-01",
                    "method": "transfer",
                    "reference": "VIR FA-2026-000123",
                    "allocations": [{"invoice": 345, "amount": "7200.00"}],
                },
                request_only=True,
            )
        ],
    ),
)
class PaymentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, TenantViewSet
):
    serializer_class = PaymentSerializer
    filterset_class = PaymentFilter
    filter_backends = FILTERS
    ordering_fields = ["received_on", "amount", "created_at", "id"]
    read_perm = Perm.VIEW_INVOICES
    write_perm = Perm.RECORD_PAYMENTS
    queryset = Payment.objects.none()

    def get_queryset(self):
        return Payment.objects.prefetch_related("allocations")

    def create(self, request, *args, **kwargs):
        data = PaymentInput(data=request.data)
        data.is_valid(raise_exception=True)
        payment = payments.payment_record(by=request.user, **data.validated_data)
        return Response(PaymentSerializer(payment).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Reverse a payment",
        description="For a payment recorded by mistake or a bounced cheque: its allocations "
        "are undone, the invoices owe again what it paid, and the consultants' accounts give "
        "back what it credited. Nothing is deleted; the reason is kept. A payment already "
        "reversed: 409. Send an `Idempotency-Key` so a retry answers the first reversal.",
        request=ReversalInput,
        responses=PaymentSerializer,
        examples=[
            OpenApiExample(
                "A bounced cheque",
                value={"reason": "Cheque returned unpaid by the bank"},
                request_only=True,
            )
        ],
    )
    @action(detail=True, methods=["post"])
    def reverse(self, request, pk=None):
        payment = self.get_object()
        data = ReversalInput(data=request.data)
        data.is_valid(raise_exception=True)
        reversed_payment = payments.payment_reverse(
            payment=payment, by=request.user, reason=data.validated_data["reason"]
        )
        return Response(PaymentSerializer(self.get_queryset().get(pk=reversed_payment.pk)).data)
