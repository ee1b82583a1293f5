"""API v1: invoices and credit notes, their drafts, issue and PDF.

Concurrent edits of a draft: an invoice is answered with an `ETag`; a PATCH, DELETE or
issue that sends it back in `If-Match` is refused with 412 when the invoice changed since
(checked under the row's lock). Without `If-Match` the change is applied as it comes.
"""

import hashlib
from decimal import Decimal

import django_filters
from django.db import transaction
from django.http import FileResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, renderers, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from consultants.models import Consultant
from invoices.api.common import one_of
from invoices.api.fast_list import FastListSerializer
from invoices.models import Client, Invoice, InvoiceLine, Mission
from invoices.pdf import invoice_pdf_ensure
from invoices.services import billing
from invoices.terms import PaymentTerms
from portage.api.base import PDFRenderer, TenantViewSet, rule_broken
from portage.api.input import FILTERS, SinceFilter, StrictInput
from portage.permissions import Perm

IF_MATCH = (
    "Send the `ETag` of the invoice you read in `If-Match`: if someone changed the invoice "
    "since, the answer is 412 `precondition_failed` and nothing changes. Without `If-Match` "
    "the change is applied whatever happened in between."
)


IF_MATCH_HEADER = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="The `ETag` of the invoice as you read it; 412 if it changed since.",
)


def etag_header(status_code):
    return OpenApiParameter(
        "ETag",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        response=[status_code],
        description="The invoice's version, to send back in `If-Match` when changing it.",
    )


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "precondition_failed"
    default_detail = gettext_lazy(
        "This invoice was changed since you read it (its ETag is not the one in If-Match). "
        "Read it again, then apply your change to what it is now."
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


# Columns of an invoice its JSON does not show: the seller and buyer frozen at issue (JSON).
NOT_SERVED = ("seller", "buyer")


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
            "reason",
            "issue_date",
            "due_date",
            "period_start",
            "period_end",
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
        list_serializer_class = FastListSerializer


class LineInput(StrictInput):
    description = serializers.CharField(max_length=300)
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3, min_value=Decimal("0.001"))
    unit = serializers.ChoiceField(choices=InvoiceLine.Unit.choices, default=InvoiceLine.Unit.DAY)
    unit_price = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0"), help_text="Excl. VAT."
    )
    vat_rate = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        help_text="A French VAT rate: 20.00, 10.00, 5.50, 2.10 or 0.",
    )


class DraftChangeInput(StrictInput):
    """What a PATCH may change on a draft; `lines`, when given, replace all its lines."""

    client = serializers.IntegerField(required=False)
    consultant = serializers.IntegerField(required=False)
    mission = serializers.IntegerField(required=False, allow_null=True)
    purchase_order = serializers.CharField(max_length=100, required=False, allow_blank=True)
    payment_terms = serializers.ChoiceField(choices=PaymentTerms.choices, required=False)
    payment_days = serializers.IntegerField(min_value=0, max_value=366, required=False)
    period_start = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="Service period (BT-73), with period_end. Left out: the mission's dates, up "
        "to the issue date; without a mission, the service is dated the issue date.",
    )
    period_end = serializers.DateField(
        required=False, allow_null=True, help_text="On or after period_start (BT-74)."
    )
    lines = LineInput(many=True, required=False, allow_empty=False)

    def validate(self, attrs):
        start, end = attrs.get("period_start"), attrs.get("period_end")
        if start and end and end < start:
            raise rule_broken({"period_end": _("The service period cannot end before it starts.")})
        return attrs

    def validate_client(self, value):
        return one_of(Client, value, _("No such client."))

    def validate_consultant(self, value):
        return one_of(Consultant, value, _("No such consultant."))

    def validate_mission(self, value):
        return one_of(Mission, value, _("No such mission."))


class DraftInput(DraftChangeInput):
    """A new draft: client, consultant and at least one line; terms default to the
    mission's, else the client's."""

    client = serializers.IntegerField()
    consultant = serializers.IntegerField()
    lines = LineInput(many=True, allow_empty=False)


class CreditNoteInput(StrictInput):
    reason = serializers.CharField(max_length=200)
    lines = LineInput(
        many=True,
        required=False,
        allow_empty=False,
        help_text="The part cancelled; without lines, the whole invoice.",
    )


class InvoiceFilter(django_filters.FilterSet):
    # Declared one by one (no Meta.fields): django-filter would query the model at import,
    # outside any company. Ids, not model choices, for the same reason.
    status = django_filters.ChoiceFilter(choices=Invoice.Status.choices)
    kind = django_filters.ChoiceFilter(choices=Invoice.Kind.choices)
    client = django_filters.NumberFilter(field_name="client_id")
    consultant = django_filters.NumberFilter(field_name="consultant_id")
    due_after = django_filters.DateFilter(field_name="due_date", lookup_expr="gte")
    due_before = django_filters.DateFilter(field_name="due_date", lookup_expr="lte")
    updated_since = SinceFilter(field_name="updated_at")

    class Meta:
        model = Invoice
        fields = []


def etag_of(invoice):
    """A strong validator of the invoice as stored: it changes with every save."""
    stamp = f"{invoice.pk}:{invoice.updated_at.isoformat()}".encode()
    return f'"{hashlib.sha256(stamp).hexdigest()[:32]}"'


def _check_if_match(request, invoice):
    header = request.headers.get("If-Match")
    if header is None:
        return
    tags = {tag.strip() for tag in header.split(",")}
    if "*" not in tags and etag_of(invoice) not in tags:
        raise PreconditionFailed()


def _locked(invoice, request):
    """The invoice locked until the transaction ends, once If-Match has been checked on it:
    nobody can change it between the check and the change."""
    locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
    _check_if_match(request, locked)
    return locked


def _with_etag(response, invoice):
    response["ETag"] = etag_of(invoice)
    return response


class InvoiceActionsMixin:
    @extend_schema(
        summary="Issue a draft invoice",
        description="Numbers, dates and freezes the draft; send an `Idempotency-Key` so a "
        "retry never issues twice. While a mandatory mention of the company is missing "
        "(legal form, share capital, RCS registry, registered office, VAT number, IBAN), "
        "nothing is issued: 422, with each missing mention in `fields.missing_mentions`. "
        + IF_MATCH,
        request=None,
        responses=InvoiceSerializer,
    )
    @action(detail=True, methods=["post"])
    def issue(self, request, pk=None):
        invoice = self.get_object()
        with transaction.atomic():
            issued = billing.invoice_issue(invoice=_locked(invoice, request), by=request.user)
        return _with_etag(Response(InvoiceSerializer(issued).data), issued)

    @extend_schema(
        summary="Cancel an issued invoice by a credit note",
        description="Issues a credit note (avoir) naming the invoice: of all its lines, or of "
        "the lines given (a partial cancellation), never more than what is still unpaid. "
        "Answers the credit note. Send an `Idempotency-Key` so a retry never issues twice.",
        request=CreditNoteInput,
        responses={201: InvoiceSerializer},
        examples=[
            OpenApiExample(
                "The whole invoice",
                value={"reason": "Invoice sent to the wrong client"},
                request_only=True,
            ),
            OpenApiExample(
                "Two days billed too many",
                value={
                    "reason": "Two days not worked in March",
                    "lines": [
                        {
                            "description": "Conseil - 2 jours non travaillés",
                            "quantity": "2",
                            "unit": "DAY",
                            "unit_price": "600.00",
                            "vat_rate": "20.00",
                        }
                    ],
                },
                request_only=True,
            ),
        ],
    )
    @action(detail=True, methods=["post"], url_path="credit-note", url_name="credit-note")
    def credit_note(self, request, pk=None):
        invoice = self.get_object()
        data = CreditNoteInput(data=request.data)
        data.is_valid(raise_exception=True)
        note = billing.credit_note_issue(
            invoice=invoice,
            by=request.user,
            reason=data.validated_data["reason"],
            lines=data.validated_data.get("lines"),
        )
        return _with_etag(Response(InvoiceSerializer(note).data, status=201), note)

    @extend_schema(
        summary="The PDF of an issued invoice or credit note",
        description="The Factur-X PDF (PDF/A-3 with its EN 16931 XML inside), as issued. A "
        "draft has none: 404.",
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The PDF file."
            )
        },
    )
    @action(detail=True, methods=["get"], renderer_classes=[renderers.JSONRenderer, PDFRenderer])
    def pdf(self, request, pk=None):
        invoice = self.get_object()
        if invoice.is_draft:
            raise exceptions.NotFound(_("A draft has no PDF yet: issue it first."))
        stored = invoice_pdf_ensure(invoice=invoice)
        return FileResponse(
            stored.pdf.open("rb"),
            content_type="application/pdf",
            filename=f"{stored.number}.pdf",
        )


DRAFT_EXAMPLE = {
    "client": 12,
    "consultant": 7,
    "mission": 31,
    "purchase_order": "BC-2026-118",
    "lines": [
        {
            "description": "Conseil - mars 2026",
            "quantity": "18",
            "unit": "DAY",
            "unit_price": "650.00",
            "vat_rate": "20.00",
        }
    ],
}


@extend_schema_view(
    list=extend_schema(
        summary="List invoices and credit notes",
        description="Filter by status, client, consultant, due date range; `updated_since` "
        "(ISO date-time) for incremental sync. Cursor-paginated, newest first.",
    ),
    retrieve=extend_schema(
        summary="An invoice with its lines",
        description="Answered with an `ETag` to send back in `If-Match` when changing it.",
        parameters=[etag_header(200)],
    ),
    create=extend_schema(
        summary="Create a draft invoice with its lines",
        description="A draft has no number yet; its totals are computed from its lines (VAT "
        "per rate). Payment terms default to the mission's, else the client's. Issue it with "
        "`POST /invoices/{id}/issue/`.",
        request=DraftInput,
        responses={201: InvoiceSerializer},
        parameters=[etag_header(201)],
        examples=[OpenApiExample("A month of consulting", value=DRAFT_EXAMPLE, request_only=True)],
    ),
    partial_update=extend_schema(
        summary="Change a draft invoice",
        description="Only the fields sent change; `lines`, when sent, replace all the lines. "
        "An issued invoice cannot change (409): cancel it by a credit note. " + IF_MATCH,
        request=DraftChangeInput,
        responses=InvoiceSerializer,
        parameters=[IF_MATCH_HEADER, etag_header(200)],
    ),
    destroy=extend_schema(
        summary="Delete a draft invoice",
        description="A draft has no number, so no gap is left in the series. An issued invoice "
        "is never deleted (409). " + IF_MATCH,
        parameters=[IF_MATCH_HEADER],
    ),
)
class InvoiceViewSet(
    InvoiceActionsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet
):
    serializer_class = InvoiceSerializer
    filterset_class = InvoiceFilter
    filter_backends = FILTERS
    ordering_fields = ["updated_at", "created_at", "total_ttc", "id"]
    read_perm = Perm.VIEW_INVOICES
    write_perm = Perm.MANAGE_INVOICES
    queryset = Invoice.objects.none()

    def get_queryset(self):
        if self.action == "list":
            # FastListSerializer reads the page's lines at once; the frozen parties are not
            # in the JSON (four fifths of an invoice's row): not read.
            return Invoice.objects.defer(*NOT_SERVED)
        if self.action == "retrieve":
            return Invoice.objects.defer(*NOT_SERVED).prefetch_related("lines")
        return Invoice.objects.prefetch_related("lines")

    def retrieve(self, request, *args, **kwargs):
        invoice = self.get_object()
        return _with_etag(Response(self.get_serializer(invoice).data), invoice)

    def create(self, request, *args, **kwargs):
        data = DraftInput(data=request.data)
        data.is_valid(raise_exception=True)
        invoice = billing.invoice_draft_create(
            tenant=request.tenant, by=request.user, **data.validated_data
        )
        return _with_etag(Response(InvoiceSerializer(invoice).data, status=201), invoice)

    def partial_update(self, request, pk=None):
        invoice = self.get_object()
        data = DraftChangeInput(data=request.data)
        data.is_valid(raise_exception=True)
        with transaction.atomic():
            updated = billing.invoice_draft_update(
                invoice=_locked(invoice, request), by=request.user, **data.validated_data
            )
        return _with_etag(Response(InvoiceSerializer(updated).data), updated)

    def destroy(self, request, pk=None):
        invoice = self.get_object()
        with transaction.atomic():
            billing.invoice_draft_delete(invoice=_locked(invoice, request), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
