"""API v1: bank statements imported, their credit lines and what became of them."""

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from invoices.api.common import Conflict
from invoices.forms import STATEMENT_MAX_BYTES
from invoices.models import BankLine, BankStatement
from invoices.selectors import statements_with_line_counts
from invoices.services import bank
from portage.api.base import TenantViewSet, rule_broken
from portage.api.input import FILTERS, SinceFilter, StrictInput
from portage.permissions import Perm


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
            raise rule_broken(_("The file is larger than 5 MB."))
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
        "says which line is wrong (422). The same file, or a statement with the same "
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
            raise rule_broken({"file": error.messages}) from error
        if result.already_imported:
            raise Conflict(
                _("This statement was already imported: nothing new."), code="already_imported"
            )
        statement = statements_with_line_counts().get(pk=result.statement.pk)
        statement.skipped_debits = result.skipped_debits
        statement.skipped_duplicates = result.skipped_duplicates
        return Response(StatementImportSerializer(statement).data, status=status.HTTP_201_CREATED)
