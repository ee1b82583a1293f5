"""E-invoicing in the API: each invoice's lifecycle statuses, read-only."""

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers

from einvoicing.models import LifecycleStatus
from portage.api.base import TenantViewSet
from portage.api.input import FILTERS, SinceFilter
from portage.permissions import Perm


class LifecycleStatusSerializer(serializers.ModelSerializer):
    invoice_number = serializers.CharField(source="invoice.number", read_only=True)
    label = serializers.CharField(read_only=True)

    class Meta:
        model = LifecycleStatus
        fields = [
            "id",
            "invoice",
            "invoice_number",
            "code",
            "label",
            "sender",
            "reason_code",
            "reason_text",
            "amount",
            "issued_at",
            "received_at",
        ]
        read_only_fields = fields


class LifecycleStatusFilter(django_filters.FilterSet):
    invoice = django_filters.NumberFilter(field_name="invoice_id")
    code = django_filters.CharFilter(field_name="code")
    received_since = SinceFilter(field_name="received_at")

    class Meta:
        model = LifecycleStatus
        fields = []


@extend_schema_view(
    list=extend_schema(
        summary="List the e-invoicing lifecycle statuses",
        description="Statuses of the company's invoices from its plateforme agréée and the "
        "buyers (200 Déposée, 213 Rejetée, 204 Prise en charge, 205 Approuvée, 206 Approuvée "
        "partiellement, 207 En litige, 208 Suspendue, 210 Refusée, 211 Paiement transmis, "
        "212 Encaissée), with the reason given. Filter by invoice, code, received_since.",
    ),
    retrieve=extend_schema(summary="A lifecycle status"),
)
class LifecycleStatusViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    serializer_class = LifecycleStatusSerializer
    filterset_class = LifecycleStatusFilter
    filter_backends = FILTERS
    ordering_fields = ["id", "received_at"]
    read_perm = Perm.VIEW_INVOICES
    write_perm = Perm.MANAGE_INVOICES
    queryset = LifecycleStatus.objects.none()

    def get_queryset(self):
        return LifecycleStatus.objects.select_related("invoice")
