"""API v1 for collections: dunning cases (read, pause, resume, dispute), the reminders sent
or queued, and the formal notices with their PDF. The same services as the worklist pages,
with the same day (`paris_today`)."""

import django_filters
from django.db.models import Prefetch
from django.http import FileResponse, Http404
from django.utils.text import slugify
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, renderers, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from dunning.models import Case, Letter, Message, Pause, StepKind
from dunning.services import cases as case_services
from invoices.api.common import Conflict
from portage.api.base import PDFRenderer, TenantViewSet
from portage.api.input import FILTERS, SinceFilter, named_choices
from portage.batch import paris_today
from portage.permissions import Perm

# Cases


class PauseSerializer(serializers.ModelSerializer):
    kind = named_choices("PauseKindEnum", Pause.Kind.choices, read_only=True)

    class Meta:
        model = Pause
        fields = ["id", "kind", "reason", "starts_on", "until", "created_at"]
        read_only_fields = fields


class DunningCaseSerializer(serializers.ModelSerializer):
    invoice_number = serializers.CharField(source="invoice.number", read_only=True)
    consultant = serializers.IntegerField(source="invoice.consultant_id", read_only=True)
    state = named_choices("DunningCaseStateEnum", Case.State.choices, read_only=True)
    last_step = named_choices(
        "StepKindEnum", StepKind.choices, source="last_step.kind", read_only=True, allow_null=True
    )
    next_step = named_choices(
        "StepKindEnum", StepKind.choices, source="next_step.kind", read_only=True, allow_null=True
    )
    active_pauses = serializers.SerializerMethodField(
        help_text="The pauses holding the invoice off the ladder (a dispute, a promise, a "
        "payment plan, a manual pause); empty when it is on the ladder."
    )

    class Meta:
        model = Case
        fields = [
            "id",
            "invoice",
            "invoice_number",
            "client",
            "consultant",
            "policy",
            "state",
            "last_step",
            "last_step_on",
            "next_step",
            "next_step_on",
            "active_pauses",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(PauseSerializer(many=True))
    def get_active_pauses(self, case):
        pauses = getattr(case, "open_pauses", None)
        if pauses is None:
            pauses = case.pauses.filter(ended_on__isnull=True).order_by("-starts_on", "-id")
        return PauseSerializer(pauses, many=True).data


class CaseFilter(django_filters.FilterSet):
    # Declared one by one, ids rather than model choices: nothing is read at import,
    # outside a company.
    state = django_filters.ChoiceFilter(choices=Case.State.choices)
    client = django_filters.NumberFilter(field_name="client_id")
    consultant = django_filters.NumberFilter(field_name="invoice__consultant_id")
    invoice = django_filters.NumberFilter(field_name="invoice_id")
    updated_since = SinceFilter(field_name="updated_at")

    class Meta:
        model = Case
        fields = []


class PauseInput(serializers.Serializer):
    kind = named_choices(
        "PauseRequestKindEnum",
        [
            (Pause.Kind.MANUAL, Pause.Kind.MANUAL.label),
            (Pause.Kind.PROMISE, Pause.Kind.PROMISE.label),
        ],
        default=Pause.Kind.MANUAL,
        help_text="`manual`, or `promise` (the client promised to pay by `until`).",
    )
    until = serializers.DateField(
        required=False, allow_null=True, help_text="The reminders wait until this day."
    )
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class DisputeInput(serializers.Serializer):
    reason = serializers.CharField(max_length=300, help_text="What the client disputes.")


class ResumeInput(serializers.Serializer):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


def _open_pauses():
    return Prefetch(
        "pauses",
        queryset=Pause.objects.filter(ended_on__isnull=True).order_by("-starts_on", "-id"),
        to_attr="open_pauses",
    )


@extend_schema_view(
    list=extend_schema(
        summary="List dunning cases",
        description="One case per invoice the ladder follows. Filter by state, client, "
        "consultant, invoice; `updated_since` (ISO date-time) for incremental sync.",
    ),
    retrieve=extend_schema(summary="A dunning case: its state, last and next step, open pauses"),
)
class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    serializer_class = DunningCaseSerializer
    filterset_class = CaseFilter
    filter_backends = FILTERS
    ordering_fields = ["id", "created_at"]
    read_perm = Perm.VIEW_COLLECTIONS
    write_perm = Perm.MANAGE_COLLECTIONS
    queryset = Case.objects.none()

    def get_queryset(self):
        return Case.objects.select_related("invoice", "last_step", "next_step").prefetch_related(
            _open_pauses()
        )

    def _answer(self, case):
        return Response(DunningCaseSerializer(self.get_queryset().get(pk=case.pk)).data)

    @extend_schema(
        summary="Pause the reminders of a case",
        description="Takes the invoice off the ladder until `until`: by hand (`manual`) or "
        "on the client's promise to pay (`promise`). The daily batch skips it until then and "
        "resumes by itself the day after. An invoice no longer awaiting payment answers 409.",
        request=PauseInput,
        responses=DunningCaseSerializer,
        examples=[
            OpenApiExample(
                "A promise to pay",
                value={"kind": "promise", "until": "2026-05-15", "reason": "Call with the CFO"},
                request_only=True,
            )
        ],
    )
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        case = self.get_object()
        data = self.input(PauseInput)
        case_services.pause_create(
            tenant=request.tenant,
            invoice=case.invoice,
            actor=request.user,
            today=paris_today(),
            kind=data["kind"],
            until=data.get("until"),
            reason=data["reason"],
        )
        return self._answer(case)

    @extend_schema(
        summary="Mark a case as disputed",
        description="The client disputes the invoice: the ladder stops until the dispute is "
        "resolved (`resume`). The reason is required.",
        request=DisputeInput,
        responses=DunningCaseSerializer,
        examples=[
            OpenApiExample(
                "A disputed day count",
                value={"reason": "The client counts 9 days worked, not 10."},
                request_only=True,
            )
        ],
    )
    @action(detail=True, methods=["post"])
    def dispute(self, request, pk=None):
        case = self.get_object()
        data = self.input(DisputeInput)
        case_services.pause_create(
            tenant=request.tenant,
            invoice=case.invoice,
            actor=request.user,
            today=paris_today(),
            kind=Pause.Kind.DISPUTE,
            reason=data["reason"],
        )
        return self._answer(case)

    @extend_schema(
        summary="Resume the reminders of a paused or disputed case",
        description="Ends every open pause of the case today; the next run of the ladder "
        "takes the invoice again. A case that is not paused answers 409.",
        request=ResumeInput,
        responses=DunningCaseSerializer,
    )
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        case = self.get_object()
        data = self.input(ResumeInput)
        case_services.case_resume(
            tenant=request.tenant,
            invoice=case.invoice,
            actor=request.user,
            today=paris_today(),
            reason=data["reason"],
        )
        return self._answer(case)


# Messages


class MessageSerializer(serializers.ModelSerializer):
    kind = named_choices("StepKindEnum", StepKind.choices, read_only=True)
    status = named_choices("MessageStatusEnum", Message.Status.choices, read_only=True)
    to = serializers.ListField(child=serializers.CharField(), read_only=True)
    invoices = serializers.SerializerMethodField(help_text="The invoices the message is about.")

    class Meta:
        model = Message
        fields = [
            "id",
            "client",
            "consultant",
            "kind",
            "step_day",
            "to",
            "subject",
            "body_text",
            "status",
            "attempts",
            "last_error",
            "sent_at",
            "invoices",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_invoices(self, message):
        return sorted({action.invoice_id for action in message.actions.all()})


class MessageFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Message.Status.choices)
    kind = django_filters.ChoiceFilter(choices=StepKind.choices)
    client = django_filters.NumberFilter(field_name="client_id")
    invoice = django_filters.NumberFilter(field_name="actions__invoice_id", distinct=True)
    created_after = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte")
    created_before = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte")

    class Meta:
        model = Message
        fields = []


@extend_schema_view(
    list=extend_schema(
        summary="List the reminders sent or queued",
        description="Emails of the ladder: to the client's billing contacts or to the "
        "consultant. Filter by status, step, client, invoice, creation date.",
    ),
    retrieve=extend_schema(summary="A reminder email with its invoices"),
)
class MessageViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    serializer_class = MessageSerializer
    filterset_class = MessageFilter
    filter_backends = FILTERS
    ordering_fields = ["id", "created_at"]
    read_perm = Perm.VIEW_COLLECTIONS
    write_perm = Perm.MANAGE_COLLECTIONS
    queryset = Message.objects.none()

    def get_queryset(self):
        return Message.objects.prefetch_related("actions")


# Letters


class LetterScheduleLineSerializer(serializers.Serializer):
    """An amount late over one half-year, at that half-year's rate (L441-10 II)."""

    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    paid_on = serializers.DateField(
        allow_null=True, help_text="The day this amount was paid; null while still unpaid."
    )
    start = serializers.DateField()
    end = serializers.DateField()
    days = serializers.IntegerField()
    rate = serializers.DecimalField(max_digits=7, decimal_places=2)
    rate_source = serializers.ChoiceField(choices=["contract", "legal_floor", "ecb_plus_10"])
    penalty = serializers.DecimalField(max_digits=12, decimal_places=2)


class LetterLineSerializer(serializers.Serializer):
    invoice_pk = serializers.IntegerField()
    number = serializers.CharField()
    issue_date = serializers.DateField()
    due_date = serializers.DateField()
    total_ttc = serializers.DecimalField(max_digits=12, decimal_places=2)
    balance = serializers.DecimalField(max_digits=12, decimal_places=2)
    days_late = serializers.IntegerField()
    rate = serializers.DecimalField(
        max_digits=7,
        decimal_places=2,
        required=False,
        help_text="Letters written before the penalty schedule only: their single rate.",
    )
    schedule = LetterScheduleLineSerializer(many=True, required=False)
    penalty_on_paid_parts = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False
    )
    penalty = serializers.DecimalField(max_digits=12, decimal_places=2)
    indemnity = serializers.DecimalField(max_digits=12, decimal_places=2)


class LetterSerializer(serializers.ModelSerializer):
    lines = LetterLineSerializer(many=True, read_only=True)
    posting = named_choices("LetterPostingEnum", Letter.Posting.choices, read_only=True)
    has_pdf = serializers.SerializerMethodField()
    pdf_state = named_choices(
        "LetterPdfStateEnum",
        Letter.PdfState.choices,
        read_only=True,
        help_text="`pending` while the PDF is drawn after the daily batch, `ready` once it is, "
        "`failed` when it could not be drawn (drawn again automatically).",
    )

    class Meta:
        model = Letter
        fields = [
            "id",
            "client",
            "letter_date",
            "deadline",
            "lines",
            "balance",
            "penalties",
            "indemnities",
            "total_claimed",
            "posting",
            "posting_reference",
            "posted_on",
            "replaces",
            "has_pdf",
            "pdf_state",
            "created_at",
        ]
        read_only_fields = fields

    def get_has_pdf(self, letter) -> bool:
        return bool(letter.pdf)


class LetterFilter(django_filters.FilterSet):
    posting = django_filters.ChoiceFilter(choices=Letter.Posting.choices)
    client = django_filters.NumberFilter(field_name="client_id")
    invoice = django_filters.NumberFilter(field_name="actions__invoice_id", distinct=True)
    date_after = django_filters.DateFilter(field_name="letter_date", lookup_expr="gte")
    date_before = django_filters.DateFilter(field_name="letter_date", lookup_expr="lte")

    class Meta:
        model = Letter
        fields = []


@extend_schema_view(
    list=extend_schema(
        summary="List formal notices",
        description="Mises en demeure, with the figures they claim and whether they were "
        "posted by registered mail. Filter by posting, client, invoice, letter date.",
    ),
    retrieve=extend_schema(summary="A formal notice with its invoices and figures"),
)
class LetterViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    serializer_class = LetterSerializer
    filterset_class = LetterFilter
    filter_backends = FILTERS
    ordering_fields = ["id", "letter_date"]
    read_perm = Perm.VIEW_COLLECTIONS
    write_perm = Perm.MANAGE_COLLECTIONS
    queryset = Letter.objects.none()

    def get_queryset(self):
        return Letter.objects.select_related("client")

    @extend_schema(
        summary="The formal notice as a PDF",
        description="The letter as it was drawn and stored, from the figures it states, "
        "after the ladder wrote it. Its PDF is drawn shortly after the daily batch: until "
        "then (`pdf_state` is `pending`, or `failed` while it is drawn again), the answer "
        "is 409 with the code `pdf_not_ready`; ask again later.",
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The PDF file."
            ),
            (409, "application/json"): OpenApiResponse(
                {"$ref": "#/components/schemas/Error"},
                description="The letter's PDF is not drawn yet (`pdf_not_ready`).",
            ),
        },
    )
    @action(detail=True, methods=["get"], renderer_classes=[renderers.JSONRenderer, PDFRenderer])
    def pdf(self, request, pk=None):
        letter = self.get_object()
        if not letter.pdf:
            raise Conflict(
                _("This formal notice's PDF is not drawn yet: ask again in a moment."),
                code="pdf_not_ready",
            )
        try:
            content = letter.pdf.open("rb")
        except FileNotFoundError as error:
            raise Http404 from error
        name = slugify(letter.client.legal_name) or "client"
        return FileResponse(
            content,
            content_type="application/pdf",
            filename=f"mise-en-demeure-{name}-{letter.letter_date.isoformat()}.pdf",
        )
