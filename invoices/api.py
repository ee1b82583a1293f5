"""API v1 for billing: clients and invoices. The same services as the pages."""

from decimal import Decimal

import django_filters
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from invoices.models import Allocation, Client, Invoice, InvoiceLine, Payment
from invoices.services import billing, payments
from invoices.services.billing import CLIENT_FIELDS
from portage.api import TenantViewSet
from portage.permissions import Perm
from portage.validators import compact_siren, compact_vat_number


class ClientSerializer(serializers.ModelSerializer):
    billing_emails = serializers.ListField(child=serializers.EmailField(), required=False)

    class Meta:
        model = Client
        fields = ["id", *CLIENT_FIELDS, "created_at"]
        read_only_fields = ["id", "created_at"]
        extra_kwargs = {"siren": {"validators": []}}

    def validate_siren(self, value):
        return compact_siren(value) if value else value

    def validate_vat_number(self, value):
        return compact_vat_number(value) if value else value


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
)
class ClientViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, TenantViewSet
):
    serializer_class = ClientSerializer
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


class InvoiceLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = InvoiceLine
        fields = [
            "position",
            "description",
            "quantity",
            "unit",
            "unit_price",
            "vat_rate",
            "total_ht",
        ]


class InvoiceSerializer(serializers.ModelSerializer):
    lines = InvoiceLineSerializer(many=True, read_only=True)
    balance = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)

    class Meta:
        model = Invoice
        fields = [
            "id",
            "kind",
            "status",
            "number",
            "client",
            "consultant",
            "mission",
            "credited_invoice",
            "issue_date",
            "due_date",
            "payment_terms",
            "payment_days",
            "purchase_order",
            "currency",
            "total_ht",
            "total_vat",
            "total_ttc",
            "paid_amount",
            "credited_amount",
            "balance",
            "lines",
            "issued_at",
            "updated_at",
        ]
        read_only_fields = fields


class InvoiceFilter(django_filters.FilterSet):
    # Declared one by one (no Meta.fields): django-filter would query the model at import,
    # outside any company. Ids, not model choices, for the same reason.
    status = django_filters.ChoiceFilter(choices=Invoice.Status.choices)
    kind = django_filters.ChoiceFilter(choices=Invoice.Kind.choices)
    client = django_filters.NumberFilter(field_name="client_id")
    consultant = django_filters.NumberFilter(field_name="consultant_id")
    due_after = django_filters.DateFilter(field_name="due_date", lookup_expr="gte")
    due_before = django_filters.DateFilter(field_name="due_date", lookup_expr="lte")
    updated_since = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Invoice
        fields = []


class InvoiceActionsMixin:
    @extend_schema(
        summary="Issue a draft invoice",
        description="Numbers, dates and freezes the draft; send an `Idempotency-Key` so a "
        "retry never issues twice.",
        request=None,
        responses=InvoiceSerializer,
    )
    @action(detail=True, methods=["post"])
    def issue(self, request, pk=None):
        invoice = self.get_object()
        issued = billing.invoice_issue(invoice=invoice, by=request.user)
        return Response(InvoiceSerializer(issued).data)


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
            "created_at",
        ]
        read_only_fields = fields


class AllocationInput(serializers.Serializer):
    invoice = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"))


class PaymentInput(serializers.Serializer):
    client = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
    received_on = serializers.DateField()
    method = serializers.ChoiceField(choices=Payment.Method.choices, default="transfer")
    reference = serializers.CharField(max_length=140, required=False, default="")
    allocations = AllocationInput(many=True, required=False, default=list)

    def validate_client(self, value):
        client = Client.objects.filter(pk=value).first()
        if client is None:
            raise serializers.ValidationError(_("No such client."))
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
            raise serializers.ValidationError({"allocations": _("No such invoice: %s") % missing})
        data["allocations"] = [
            (invoices[row["invoice"]], row["amount"]) for row in data["allocations"]
        ]
        return data


@extend_schema_view(
    list=extend_schema(summary="List payments received"),
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


@extend_schema_view(
    list=extend_schema(
        summary="List invoices and credit notes",
        description="Filter by status, client, consultant, due date range; `updated_since` "
        "(ISO date-time) for incremental sync. Cursor-paginated, newest first.",
    ),
    retrieve=extend_schema(summary="An invoice with its lines"),
)
class InvoiceViewSet(
    InvoiceActionsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet
):
    serializer_class = InvoiceSerializer
    filterset_class = InvoiceFilter
    read_perm = Perm.VIEW_INVOICES
    write_perm = Perm.MANAGE_INVOICES
    queryset = Invoice.objects.none()

    def get_queryset(self):
        return Invoice.objects.prefetch_related("lines")

    def retrieve(self, request, *args, **kwargs):
        invoice = self.get_object()
        return Response(self.get_serializer(invoice).data)
