"""API v1 for the accounting export: the journal entries of a period as JSON, and the FEC
file. The same selectors as the pages; read with the invoices' permission."""

import base64
import binascii

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import renderers, serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from accounting.models import (
    ACCOUNT_PATTERN,
    JOURNAL_PATTERN,
    ChartOfAccounts,
    validate_account,
    validate_journal,
)
from accounting.selectors import (
    chart_of_accounts,
    check_balanced,
    check_period,
    journal_entries,
)
from accounting.services import CHART_FIELDS, chart_update
from accounting.views import fec_attachment
from portage.api.base import TenantViewSet, rule_broken
from portage.permissions import Perm

PAGE_SIZE = 100
MAX_PAGE_SIZE = 500


class PeriodQuery(serializers.Serializer):
    date_from = serializers.DateField(help_text="First day of the period (YYYY-MM-DD).")
    date_to = serializers.DateField(
        help_text="Last day of the period, included: the closing date in the FEC's name."
    )

    def validate(self, attrs):
        # Two dates the schema allows, in an order or a span the export refuses: a 422.
        try:
            check_period(attrs["date_from"], attrs["date_to"])
        except DjangoValidationError as error:
            raise rule_broken(error.message_dict) from error
        return attrs


class PageQuery(serializers.Serializer):
    cursor = serializers.CharField(required=False)
    page_size = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_PAGE_SIZE, default=PAGE_SIZE
    )

    def validate_cursor(self, value):
        # Any string, for the schema: one that names no page is a 404, as on every list.
        try:
            position = int(base64.urlsafe_b64decode(value.encode()).decode().removeprefix("o="))
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise NotFound(_("This cursor is not valid.")) from None
        if position < 0:
            raise NotFound(_("This cursor is not valid."))
        return position


class LineSerializer(serializers.Serializer):
    account = serializers.CharField(help_text="CompteNum")
    account_label = serializers.CharField(help_text="CompteLib")
    aux_account = serializers.CharField(help_text="CompAuxNum (the client or the insurer)")
    aux_label = serializers.CharField(help_text="CompAuxLib")
    label = serializers.CharField(help_text="EcritureLib")
    debit = serializers.DecimalField(max_digits=14, decimal_places=2)
    credit = serializers.DecimalField(max_digits=14, decimal_places=2)
    lettering = serializers.CharField(
        help_text="EcritureLet: the same code on the client's lines that cancel out"
    )
    lettering_date = serializers.DateField(allow_null=True, help_text="DateLet")


class EntrySerializer(serializers.Serializer):
    journal = serializers.CharField(help_text="JournalCode")
    journal_label = serializers.CharField(help_text="JournalLib")
    number = serializers.CharField(help_text="EcritureNum, continuous in each journal")
    date = serializers.DateField(help_text="EcritureDate (also ValidDate)")
    piece_ref = serializers.CharField(help_text="PieceRef: invoice number, payment reference")
    piece_date = serializers.DateField(help_text="PieceDate")
    label = serializers.CharField()
    lines = LineSerializer(many=True)


class EntryPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = EntrySerializer(many=True)


def _period(request):
    query = PeriodQuery(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data["date_from"], query.validated_data["date_to"]


def _cursor(position):
    return base64.urlsafe_b64encode(f"o={position}".encode()).decode()


PERIOD_PARAMETERS = [
    OpenApiParameter("date_from", OpenApiTypes.DATE, required=True, description="First day."),
    OpenApiParameter(
        "date_to", OpenApiTypes.DATE, required=True, description="Last day, included."
    ),
]


class EntryViewSet(TenantViewSet):
    """The journal entries of a period (écritures comptables)."""

    read_perm = Perm.VIEW_INVOICES
    write_perm = Perm.MANAGE_COMPANY
    pagination_class = None
    filter_backends = []

    @extend_schema(
        summary="Journal entries of a period",
        description="First the opening balances (à-nouveaux, journal `AN` by default) of the "
        "clients' and the insurer's accounts on the first day, one entry per piece still "
        "open, against 890; then the sales (invoices, credit notes), bank (payments received, "
        "reversals) and credit insurance (indemnities) entries dated in the period, both days "
        "included, in date order and numbered in each journal; each entry is balanced. "
        "Paginated by an opaque `cursor` (follow `next`).",
        parameters=[
            *PERIOD_PARAMETERS,
            OpenApiParameter("cursor", OpenApiTypes.STR, description="From `next` or `previous`."),
            OpenApiParameter(
                "page_size", OpenApiTypes.INT, description=f"1 to {MAX_PAGE_SIZE} entries."
            ),
        ],
        responses=EntryPageSerializer,
        examples=[
            OpenApiExample(
                "An invoice",
                response_only=True,
                value={
                    "next": None,
                    "previous": None,
                    "results": [
                        {
                            "journal": "VT",
                            "journal_label": "Ventes",
                            "number": "VT000001",
                            "date": "2026-03-02",
                            "piece_ref": "FA-2026-000001",
                            "piece_date": "2026-03-02",
                            "label": "Facture FA-2026-000001 Durand Industrie",
                            "lines": [
                                {
                                    "account": "411000",
                                    "account_label": "Clients",
                                    "aux_account": "C000042",
                                    "aux_label": "Durand Industrie",
                                    "label": "Facture FA-2026-000001 Durand Industrie",
                                    "debit": "7200.00",
                                    "credit": "0.00",
                                    "lettering": "",
                                    "lettering_date": None,
                                },
                                {
                                    "account": "706000",
                                    "account_label": "Prestations de services",
                                    "aux_account": "",
                                    "aux_label": "",
                                    "label": "Facture FA-2026-000001 Durand Industrie",
                                    "debit": "0.00",
                                    "credit": "6000.00",
                                    "lettering": "",
                                    "lettering_date": None,
                                },
                                {
                                    "account": "445711",
                                    "account_label": "TVA collectée 20 %",
                                    "aux_account": "",
                                    "aux_label": "",
                                    "label": "Facture FA-2026-000001 Durand Industrie",
                                    "debit": "0.00",
                                    "credit": "1200.00",
                                    "lettering": "",
                                    "lettering_date": None,
                                },
                            ],
                        }
                    ],
                },
            )
        ],
    )
    def retrieve(self, request):
        date_from, date_to = _period(request)
        page = PageQuery(data=request.query_params)
        page.is_valid(raise_exception=True)
        start = page.validated_data.get("cursor", 0)
        size = page.validated_data["page_size"]
        entries = journal_entries(tenant=request.tenant, date_from=date_from, date_to=date_to)
        check_balanced(entries)
        url = request.build_absolute_uri()
        following = start + size
        return Response(
            {
                "next": replace_query_param(url, "cursor", _cursor(following))
                if following < len(entries)
                else None,
                "previous": (
                    replace_query_param(url, "cursor", _cursor(max(start - size, 0)))
                    if start > 0
                    else None
                ),
                "results": EntrySerializer(entries[start:following], many=True).data,
            }
        )


class PlainTextRenderer(renderers.BaseRenderer):
    media_type = "text/plain"
    format = "txt"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return renderers.JSONRenderer().render(data) if not isinstance(data, bytes) else data


class FecViewSet(TenantViewSet):
    """The FEC file of a period (fichier des écritures comptables)."""

    read_perm = Perm.VIEW_INVOICES
    write_perm = Perm.MANAGE_COMPANY
    renderer_classes = [renderers.JSONRenderer, PlainTextRenderer]
    pagination_class = None
    filter_backends = []

    @extend_schema(
        summary="The FEC file of a period",
        description="The fichier des écritures comptables (LPF art. A47 A-1): a header line "
        "and one line per entry line, 18 tab-separated fields, CR LF, ISO 8859-15, dates "
        "AAAAMMJJ, amounts with a decimal comma; the opening balances (à-nouveaux) first, as "
        "in the journal entries; sent as an attachment named "
        "`<SIREN>FEC<date_to as AAAAMMJJ>.txt`. Refused (422) if an entry is not balanced.",
        parameters=PERIOD_PARAMETERS,
        responses={(200, "text/plain"): OpenApiTypes.STR},
    )
    def list(self, request):
        date_from, date_to = _period(request)
        entries = journal_entries(tenant=request.tenant, date_from=date_from, date_to=date_to)
        return fec_attachment(tenant=request.tenant, date_to=date_to, entries=entries)


class ChartSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChartOfAccounts
        fields = CHART_FIELDS

    def build_standard_field(self, field_name, model_field):
        # The account numbers' and journal codes' patterns, stated in the schema.
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        patterns = ((validate_account, ACCOUNT_PATTERN), (validate_journal, JOURNAL_PATTERN))
        for check, pattern in patterns:
            if check in model_field.validators:
                kwargs["validators"] = [*kwargs.get("validators", []), RegexValidator(pattern)]
        return field_class, kwargs


class ChartViewSet(TenantViewSet):
    """The company's chart of accounts for the export (plan comptable)."""

    read_perm = Perm.VIEW_INVOICES
    write_perm = Perm.MANAGE_COMPANY
    serializer_class = ChartSerializer
    queryset = ChartOfAccounts.objects.none()
    pagination_class = None
    filter_backends = []

    def get_object(self):
        # One chart per company, at a fixed address: no id in the URL.
        return chart_of_accounts(tenant=self.request.tenant)

    @extend_schema(summary="The chart of accounts of the export")
    def retrieve(self, request):
        return Response(ChartSerializer(chart_of_accounts(tenant=request.tenant)).data)

    @extend_schema(
        summary="Change the chart of accounts",
        description="The fields sent are changed, the others keep their value. Account "
        "numbers are digits (3 to 20), in their class of the French chart of accounts, and a "
        "number serves one purpose (the VAT rates may share one, then labelled alike); each "
        "journal has its own code.",
        examples=[
            OpenApiExample(
                "One VAT account for every rate",
                value={
                    "vat_account_20": "445710",
                    "vat_account_10": "445710",
                    "vat_account_5_5": "445710",
                    "vat_account_2_1": "445710",
                },
                request_only=True,
            )
        ],
    )
    def update(self, request):
        changes = ChartSerializer(data=request.data, partial=True)
        changes.is_valid(raise_exception=True)
        chart = chart_update(tenant=request.tenant, by=request.user, **changes.validated_data)
        return Response(ChartSerializer(chart).data)
