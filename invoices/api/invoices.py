"""API v1 for billing: clients, missions, invoices and credit notes, payments, bank
statements. The same services as the pages; this layer validates input and answers.

Concurrent edits of a draft: an invoice is answered with an `ETag`; a PATCH, DELETE or
issue that sends it back in `If-Match` is refused with 412 when the invoice changed since
(checked under the row's lock). Without `If-Match` the change is applied as it comes.
"""

import hashlib
from collections import defaultdict
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from decimal import getcontext as decimal_context

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models, transaction
from django.db.models import Q
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
from rest_framework.fields import ISO_8601
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.settings import api_settings

from consultants.models import Consultant
from invoices.forms import STATEMENT_MAX_BYTES
from invoices.models import (
    Allocation,
    BankLine,
    BankStatement,
    Client,
    Invoice,
    InvoiceLine,
    Mission,
    Payment,
)
from invoices.pdf import invoice_pdf_ensure
from invoices.selectors import statements_with_line_counts
from invoices.services import bank, billing, payments
from invoices.services.billing import CLIENT_FIELDS, MISSION_FIELDS
from invoices.terms import PaymentTerms
from portage.api.base import PDFRenderer, TenantViewSet
from portage.api.input import FILTERS, SinceFilter, StrictInput
from portage.permissions import Perm
from portage.validators import compact_siren, compact_vat_number

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


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


# A service's refusal that is about the object's state, not the request's content: 409.
STATE_CODES = {"issued": "not_a_draft", "already_reversed": "already_reversed"}


@contextmanager
def state_conflicts():
    try:
        yield
    except DjangoValidationError as error:
        code = STATE_CODES.get(getattr(error, "code", None))
        if code is None:
            raise
        raise Conflict(" ".join(error.messages), code=code) from error


def _one_of(model, pk, message):
    """The company's object with this id (another company's is out of scope), else 400."""
    if pk is None:
        return None
    found = model.objects.filter(pk=pk).first()
    if found is None:
        raise serializers.ValidationError(message)
    return found


# Clients


class ClientSerializer(serializers.ModelSerializer, StrictInput):
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


# Missions


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
        return _one_of(Consultant, value, _("No such consultant."))

    def validate_client(self, value):
        return _one_of(Client, value, _("No such client."))


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


# Invoices


def _shortcut(field):
    """A plain function giving what `field.to_representation` gives for a value that is not
    None, without its per-call work (a new decimal context per amount, settings looked up
    per date); the field's own method when there is no such shortcut."""
    if isinstance(field, serializers.DecimalField):
        as_string = getattr(field, "coerce_to_string", api_settings.COERCE_DECIMAL_TO_STRING)
        if as_string and not (field.localize or field.normalize_output) and field.decimal_places:
            exponent = Decimal(".1") ** field.decimal_places
            context = decimal_context().copy()
            if field.max_digits is not None:
                context.prec = field.max_digits
            rounding = field.rounding

            def amount(value):
                return f"{value.quantize(exponent, rounding=rounding, context=context):f}"

            return amount
    date_format = getattr(field, "format", api_settings.DATE_FORMAT)
    if isinstance(field, serializers.DateField) and str(date_format).lower() == ISO_8601:
        return date.isoformat
    if isinstance(field, serializers.ChoiceField):
        choices = field.choice_strings_to_values
        return lambda value: choices.get(str(value), value)
    if type(field) is serializers.IntegerField:
        return int
    if type(field) is serializers.CharField:
        return str
    return field.to_representation


def _children_writer(field, relation, parents):
    """Writes the rows of a reverse foreign key (an invoice's lines) of every object of the
    page, read in one query in the related model's order: what `prefetch_related` would
    read, without the queryset it builds for each object."""
    rows = relation.related_model._default_manager.filter(**{f"{relation.field.name}__in": parents})
    by_parent = defaultdict(list)
    for row in rows:
        by_parent[getattr(row, relation.field.attname)].append(row)
    child = _writer(field.child)
    return lambda key: [child(row) for row in by_parent.get(key, ())]


def _writer(serializer, page=None):
    """A function writing an object as `serializer` does, field by field in the same order,
    without DRF's per-field machinery (attribute lookup through `source_attrs`, a
    `PKOnlyObject` per foreign key, the checks of `to_representation`). Only for
    serializers whose fields each read one attribute of the object. With the `page` of
    objects to write, nested lists of a reverse foreign key are read for all of them at once."""
    model = serializer.Meta.model
    writers = []
    for field in serializer._readable_fields:
        if isinstance(field, serializers.ListSerializer):
            relation = model._meta.get_field(field.source)
            if page is not None and isinstance(relation, models.ManyToOneRel):
                key = relation.field.target_field.attname
                writers.append((field.field_name, key, _children_writer(field, relation, page)))
            else:
                child = _writer(field.child)
                write_all = lambda rows, c=child: [c(row) for row in rows.all()]  # noqa: E731
                writers.append((field.field_name, field.source, write_all))
        elif isinstance(field, serializers.PrimaryKeyRelatedField) and field.pk_field is None:
            attname = model._meta.get_field(field.source).attname
            writers.append((field.field_name, attname, None))
        else:
            writers.append((field.field_name, field.source, _shortcut(field)))

    def write(instance):
        data = {}
        for name, attribute, shortcut in writers:
            value = getattr(instance, attribute)
            if value is not None and shortcut is not None:
                value = shortcut(value)
            data[name] = value
        return data

    return write


class FastListSerializer(serializers.ListSerializer):
    """A page of objects written by `_writer`: the same JSON as the child serializer gives
    each of them (tests/invoices/test_api_list_json.py compares them), without DRF's
    per-field overhead, which was a third of the time of a page of 100 invoices, and with
    their nested rows read in one query (so the queryset need not prefetch them)."""

    def to_representation(self, data):
        rows = list(data.all() if isinstance(data, models.manager.BaseManager) else data)
        write = _writer(self.child, rows)
        return [write(row) for row in rows]


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
            raise serializers.ValidationError(
                {"period_end": _("The service period cannot end before it starts.")}
            )
        return attrs

    def validate_client(self, value):
        return _one_of(Client, value, _("No such client."))

    def validate_consultant(self, value):
        return _one_of(Consultant, value, _("No such consultant."))

    def validate_mission(self, value):
        return _one_of(Mission, value, _("No such mission."))


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
        "nothing is issued: 400, with each missing mention in `fields.missing_mentions`. "
        + IF_MATCH,
        request=None,
        responses=InvoiceSerializer,
    )
    @action(detail=True, methods=["post"])
    def issue(self, request, pk=None):
        invoice = self.get_object()
        with transaction.atomic(), state_conflicts():
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
            return Invoice.objects.all()  # FastListSerializer reads the page's lines at once
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
        with transaction.atomic(), state_conflicts():
            updated = billing.invoice_draft_update(
                invoice=_locked(invoice, request), by=request.user, **data.validated_data
            )
        return _with_etag(Response(InvoiceSerializer(updated).data), updated)

    def destroy(self, request, pk=None):
        invoice = self.get_object()
        with transaction.atomic(), state_conflicts():
            billing.invoice_draft_delete(invoice=_locked(invoice, request), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# Payments


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
        with state_conflicts():
            reversed_payment = payments.payment_reverse(
                payment=payment, by=request.user, reason=data.validated_data["reason"]
            )
        return Response(PaymentSerializer(self.get_queryset().get(pk=reversed_payment.pk)).data)


# Bank statements


class BankLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = BankLine
        fields = [
            "id",
            "line_number",
            "booking_date",
            "amount",
            "currency",
            "counterparty",
            "remittance",
            "bank_reference",
            "status",
            "suggested_client",
            "payment",
        ]
        read_only_fields = fields


class LineCountsSerializer(serializers.Serializer):
    total = serializers.IntegerField(source="lines_total")
    unmatched = serializers.IntegerField(
        source="lines_unmatched", help_text="To match by a person: nothing found for them."
    )
    suggested = serializers.IntegerField(
        source="lines_suggested", help_text="Matched to invoices, waiting for confirmation."
    )
    confirmed = serializers.IntegerField(
        source="lines_confirmed", help_text="Recorded as payments."
    )
    dismissed = serializers.IntegerField(
        source="lines_dismissed", help_text="Not a client payment."
    )


class StatementSerializer(serializers.ModelSerializer):
    status = serializers.SerializerMethodField(
        help_text="`to_review` while lines are unmatched or wait for confirmation, then `done`."
    )
    lines = LineCountsSerializer(source="*", read_only=True)

    class Meta:
        model = BankStatement
        fields = [
            "id",
            "format",
            "statement_id",
            "account_iban",
            "filename",
            "imported_at",
            "status",
            "lines",
        ]
        read_only_fields = fields

    def get_status(self, statement) -> str:
        waiting = statement.lines_unmatched + statement.lines_suggested
        return "to_review" if waiting else "done"


class StatementDetailSerializer(StatementSerializer):
    credit_lines = BankLineSerializer(source="lines", many=True, read_only=True)

    class Meta(StatementSerializer.Meta):
        fields = [*StatementSerializer.Meta.fields, "credit_lines"]
        read_only_fields = fields


class StatementImportSerializer(StatementSerializer):
    skipped_debits = serializers.IntegerField(help_text="Debit lines, left aside.")
    skipped_duplicates = serializers.IntegerField(
        help_text="Credit lines already imported with an earlier statement."
    )

    class Meta(StatementSerializer.Meta):
        fields = [*StatementSerializer.Meta.fields, "skipped_debits", "skipped_duplicates"]
        read_only_fields = fields


class StatementUpload(StrictInput):
    file = serializers.FileField(help_text="CSV or CAMT.053 (XML), at most 5 MB.")

    def validate_file(self, file):
        if file.size > STATEMENT_MAX_BYTES:
            raise serializers.ValidationError(_("The file is larger than 5 MB."))
        return file


class StatementFilter(django_filters.FilterSet):
    imported_since = SinceFilter(field_name="imported_at")

    class Meta:
        model = BankStatement
        fields = []


@extend_schema_view(
    list=extend_schema(
        summary="List imported bank statements",
        description="Each with its credit lines counted by status.",
    ),
    retrieve=extend_schema(
        summary="A bank statement with its credit lines and their status",
        responses=StatementDetailSerializer,
    ),
    create=extend_schema(
        summary="Import a bank statement file",
        description="Multipart upload of a CSV or CAMT.053 file (at most 5 MB). Its credits "
        "wait, matched to the invoices they seem to pay, for a collector to confirm; nothing "
        "is recorded as a payment yet. All or nothing: a malformed file imports nothing and "
        "says which line is wrong (400). The same file, or a statement with the same "
        "identifier, is imported once: 409.",
        request={"multipart/form-data": StatementUpload},
        responses={201: StatementImportSerializer},
        examples=[
            OpenApiExample(
                "Imported",
                value={
                    "id": 4,
                    "format": "camt053",
                    "statement_id": "STMT-2026-03-31",
                    "account_iban": "FR7630006000011234567890189",
                    "filename": "releve-mars.xml",
                    "imported_at": "2026-04-01T08:12:00Z",
                    "status": "to_review",
                    "lines": {
                        "total": 3,
                        "unmatched": 1,
                        "suggested": 2,
                        "confirmed": 0,
                        "dismissed": 0,
                    },
                    "skipped_debits": 5,
                    "skipped_duplicates": 0,
                },
                response_only=True,
                status_codes=["201"],
            )
        ],
    ),
)
class BankStatementViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, TenantViewSet
):
    serializer_class = StatementSerializer
    filterset_class = StatementFilter
    filter_backends = FILTERS
    ordering_fields = ["imported_at", "id"]
    parser_classes = [MultiPartParser]
    read_perm = Perm.IMPORT_BANK
    write_perm = Perm.IMPORT_BANK
    queryset = BankStatement.objects.none()

    def get_queryset(self):
        statements = statements_with_line_counts()
        if self.action == "retrieve":
            return statements.prefetch_related("lines")
        return statements

    def get_serializer_class(self):
        return StatementDetailSerializer if self.action == "retrieve" else StatementSerializer

    def create(self, request, *args, **kwargs):
        upload = StatementUpload(data=request.data)
        upload.is_valid(raise_exception=True)
        file = upload.validated_data["file"]
        try:
            result = bank.statement_import(
                tenant=request.tenant, content=file.read(), filename=file.name, by=request.user
            )
        except DjangoValidationError as error:
            raise serializers.ValidationError({"file": error.messages}) from error
        if result.already_imported:
            raise Conflict(
                _("This statement was already imported: nothing new."), code="already_imported"
            )
        statement = statements_with_line_counts().get(pk=result.statement.pk)
        statement.skipped_debits = result.skipped_debits
        statement.skipped_duplicates = result.skipped_duplicates
        return Response(StatementImportSerializer(statement).data, status=status.HTTP_201_CREATED)
