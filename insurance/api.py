"""API v1 for credit insurance: the company's policies and their terms, credit limits
(asked of the insurer, and the insurer's decisions) and claims with the insurer's answers.
The same services as the policy, credit limit and claim pages, with the same day
(`paris_today`)."""

from decimal import Decimal

import django_filters
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiExample,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from insurance.models import Claim, ClaimInvoice, CreditLimit, InsurancePolicy, bound_messages
from insurance.selectors import claims as claim_selectors
from insurance.services import claims as claim_services
from insurance.services import limits as limit_services
from insurance.services import policies as policy_services
from invoices.models import Client
from portage.api.base import TenantViewSet, rule_broken
from portage.api.input import FILTERS, StrictInput, named_choices
from portage.batch import paris_today
from portage.permissions import Perm

MONEY = {"max_digits": 14, "decimal_places": 2}


# Policies


def _policy_choices(name, component):
    choices = InsurancePolicy._meta.get_field(name).choices
    return named_choices(component, choices, required=False)


class PolicySerializer(serializers.ModelSerializer):
    premium_model = _policy_choices("premium_model", "PremiumModelEnum")
    declaration_period = _policy_choices("declaration_period", "DeclarationPeriodEnum")
    declaration_basis = _policy_choices("declaration_basis", "DeclarationBasisEnum")
    excluded_categories = serializers.ListField(
        child=named_choices("ClientCategoryEnum", Client.Category.choices),
        required=False,
        help_text="Client categories the policy never covers.",
    )
    excluded_countries = serializers.ListField(
        child=serializers.CharField(max_length=2),
        required=False,
        help_text="ISO 3166 alpha-2 codes of the countries the policy never covers.",
    )

    class Meta:
        model = InsurancePolicy
        fields = ["id", *policy_services.POLICY_FIELDS, "created_at"]
        read_only_fields = ["id", "created_at"]
        # A negative deductible, threshold, maximum, rate or number of days answers 400 on
        # its field, in the words of the policy page.
        extra_kwargs = {
            field.name: {"error_messages": bound_messages(field)}
            for field in InsurancePolicy._meta.concrete_fields
            if bound_messages(field)
        }


class PolicyInput(PolicySerializer, StrictInput):
    pass


@extend_schema_view(
    list=extend_schema(
        summary="List the company's credit insurance policies and their terms",
        description="Newest first. One policy is in force on a given day.",
    ),
    retrieve=extend_schema(summary="A credit insurance policy and its terms"),
    create=extend_schema(
        summary="Record a credit insurance policy",
        description="The same checks as the policy page: a period no other policy of the "
        "company shares, a number used once, ISO country codes, a ceiling for a flat "
        "premium; no amount, rate or number of days below zero, a percentage at most 100. "
        "A term left out takes its default.",
        request=PolicyInput,
        responses={201: PolicySerializer},
        examples=[
            OpenApiExample(
                "A policy of one year",
                value={
                    "insurer": 2,
                    "number": "CF-2027",
                    "starts_on": "2027-01-01",
                    "ends_on": "2027-12-31",
                    "covered_share": "90.000",
                    "deductible_per_claim": "500.00",
                    "annual_max_indemnity": "300000.00",
                    "waiting_days": 150,
                },
                request_only=True,
            )
        ],
    ),
    partial_update=extend_schema(
        summary="Change a policy's terms",
        description="Only the terms sent change; the same checks as on creation.",
        request=PolicyInput,
        responses=PolicySerializer,
    ),
)
class PolicyViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, TenantViewSet
):
    serializer_class = PolicySerializer
    filter_backends = FILTERS
    ordering_fields = ["id", "starts_on"]
    read_perm = Perm.VIEW_COLLECTIONS
    write_perm = Perm.MANAGE_COMPANY
    queryset = InsurancePolicy.objects.none()

    def get_queryset(self):
        return InsurancePolicy.objects.select_related("insurer")

    def _terms(self, policy=None):
        """The request's terms over the policy's (or the defaults, for a new one)."""
        data = PolicyInput(policy, data=self.request.data, partial=policy is not None)
        data.is_valid(raise_exception=True)
        terms = {}
        for name in policy_services.POLICY_FIELDS:
            if name in data.validated_data:
                terms[name] = data.validated_data[name]
            elif policy is not None:
                terms[name] = getattr(policy, name)
            else:
                terms[name] = InsurancePolicy._meta.get_field(name).get_default()
        return terms

    def create(self, request, *args, **kwargs):
        policy = policy_services.policy_create(
            tenant=request.tenant, actor=request.user, data=self._terms()
        )
        return Response(PolicySerializer(policy).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        policy = self.get_object()
        updated = policy_services.policy_update(
            policy=policy, actor=request.user, data=self._terms(policy)
        )
        return Response(PolicySerializer(updated).data)


# Credit limits


class CreditLimitSerializer(serializers.ModelSerializer):
    status = named_choices("CreditLimitStatusEnum", CreditLimit.Status.choices, read_only=True)
    source = named_choices("CreditLimitSourceEnum", CreditLimit.Source.choices, read_only=True)
    grade_scale = named_choices("GradeScaleEnum", CreditLimit.Scale.choices, read_only=True)

    class Meta:
        model = CreditLimit
        fields = [
            "id",
            "client",
            "policy",
            "status",
            "requested_amount",
            "amount",
            "grade",
            "grade_scale",
            "source",
            "decided_on",
            "effective_from",
            "valid_until",
            "insurer_reference",
            "note",
            "created_at",
        ]
        read_only_fields = fields


class CreditLimitFilter(django_filters.FilterSet):
    # Declared one by one, ids rather than model choices: nothing is read at import,
    # outside a company.
    status = django_filters.ChoiceFilter(choices=CreditLimit.Status.choices)
    source = django_filters.ChoiceFilter(choices=CreditLimit.Source.choices)
    client = django_filters.NumberFilter(field_name="client_id")
    policy = django_filters.NumberFilter(field_name="policy_id")

    class Meta:
        model = CreditLimit
        fields = []


def _existing(model, pk, message):
    found = model.objects.filter(pk=pk).first()
    if found is None:
        raise rule_broken(message)
    return found


class LimitRequestInput(serializers.Serializer):
    client = serializers.IntegerField()
    policy = serializers.IntegerField()
    amount = serializers.DecimalField(**MONEY, min_value=Decimal("0.01"))
    source = named_choices(
        "CreditLimitRequestSourceEnum",
        [
            (source.value, source.label)
            for source in (CreditLimit.Source.BACK_OFFICE, CreditLimit.Source.PROSPECT)
        ],
        default=CreditLimit.Source.BACK_OFFICE,
    )

    def validate_client(self, value):
        return _existing(Client, value, _("No such client."))

    def validate_policy(self, value):
        return _existing(InsurancePolicy, value, _("No such insurance policy."))


class LimitDecisionInput(serializers.Serializer):
    status = named_choices(
        "CreditLimitDecisionEnum",
        [(decision.value, decision.label) for decision in limit_services.DECISIONS],
    )
    amount = serializers.DecimalField(
        **MONEY,
        min_value=Decimal("0"),
        required=False,
        allow_null=True,
        help_text="Empty for a refused or cancelled limit.",
    )
    decided_on = serializers.DateField(required=False, allow_null=True, help_text="Default: today.")
    valid_until = serializers.DateField(required=False, allow_null=True)
    grade = serializers.CharField(max_length=10, required=False, allow_blank=True, default="")
    grade_scale = named_choices(
        "GradeScaleEnum", CreditLimit.Scale.choices, default=CreditLimit.Scale.OTHER
    )
    insurer_reference = serializers.CharField(
        max_length=60, required=False, allow_blank=True, default=""
    )
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


@extend_schema_view(
    list=extend_schema(
        summary="List credit limits: requests and the insurer's decisions",
        description="The history of every client's limit (agrément), newest first: each "
        "request and each decision is a row. Filter by client, policy, status, source.",
    ),
    retrieve=extend_schema(summary="A credit limit request or decision"),
    create=extend_schema(
        summary="Ask the insurer for a credit limit",
        description="Records that a limit of `amount` was asked of the insurer for the "
        "client under the policy; the insurer's answer is recorded with `decide`.",
        request=LimitRequestInput,
        responses={201: CreditLimitSerializer},
        examples=[
            OpenApiExample(
                "A limit for a new client",
                value={"client": 12, "policy": 3, "amount": "50000.00", "source": "back_office"},
                request_only=True,
            )
        ],
    ),
)
class CreditLimitViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, TenantViewSet
):
    serializer_class = CreditLimitSerializer
    filterset_class = CreditLimitFilter
    filter_backends = FILTERS
    ordering_fields = ["id", "created_at"]
    read_perm = Perm.VIEW_COLLECTIONS
    write_perm = Perm.MANAGE_COLLECTIONS
    queryset = CreditLimit.objects.none()

    def get_queryset(self):
        return CreditLimit.objects.all()

    def create(self, request, *args, **kwargs):
        data = LimitRequestInput(data=request.data)
        data.is_valid(raise_exception=True)
        row = limit_services.limit_request(
            tenant=request.tenant, actor=request.user, **data.validated_data
        )
        return Response(CreditLimitSerializer(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Record the insurer's decision on this client's limit",
        description="A new row of the history, for the same client and policy: granted, "
        "partial (at most the amount asked), refused, reduced (below the limit in force) or "
        "cancelled. A reduced or cancelled limit comes into force after the policy's "
        "notice (`effective_from`); until then the old limit applies.",
        request=LimitDecisionInput,
        responses={201: CreditLimitSerializer},
        examples=[
            OpenApiExample(
                "Partly granted",
                value={
                    "status": "partial",
                    "amount": "30000.00",
                    "decided_on": "2026-04-02",
                    "grade": "4",
                    "grade_scale": "allianz_1_10",
                    "insurer_reference": "AGR-88412",
                },
                request_only=True,
            )
        ],
    )
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        row = self.get_object()
        data = LimitDecisionInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = {**data.validated_data}
        values["decided_on"] = values.get("decided_on") or paris_today()
        decision = limit_services.limit_decide(
            tenant=request.tenant,
            client=row.client,
            policy=row.policy,
            actor=request.user,
            **values,
        )
        return Response(CreditLimitSerializer(decision).data, status=status.HTTP_201_CREATED)


# Claims


class ClaimLineSerializer(serializers.ModelSerializer):
    invoice_number = serializers.CharField(source="invoice.number", read_only=True)

    class Meta:
        model = ClaimInvoice
        fields = ["invoice", "invoice_number", "unpaid_amount", "covered_amount"]
        read_only_fields = fields


class ComputationStepSerializer(serializers.Serializer):
    label = serializers.CharField()
    amount = serializers.DecimalField(**MONEY)


class ClaimSerializer(serializers.ModelSerializer):
    reference = serializers.SerializerMethodField(help_text="The reference sent to the insurer.")
    state = named_choices("ClaimStateEnum", Claim.State.choices, read_only=True)
    lines = ClaimLineSerializer(many=True, read_only=True)
    computation = serializers.SerializerMethodField(
        help_text="How the expected indemnity was computed, step by step, the indemnity last."
    )
    next_states = serializers.SerializerMethodField(
        help_text="The states the claim may move to: what the insurer's answer may record."
    )

    class Meta:
        model = Claim
        fields = [
            "id",
            "reference",
            "client",
            "policy",
            "state",
            "next_states",
            "opened_on",
            "filed_on",
            "unpaid_covered",
            "limit_amount",
            "expected_indemnity",
            "computation",
            "indemnity_amount",
            "indemnified_on",
            "rejection_reason",
            "insurer_reference",
            "lines",
            "created_at",
        ]
        read_only_fields = fields

    def get_reference(self, claim) -> str:
        return claim_selectors.claim_reference(claim)

    @extend_schema_field(ComputationStepSerializer(many=True))
    def get_computation(self, claim):
        return ComputationStepSerializer(
            [{"label": label, "amount": Decimal(amount)} for label, amount in claim.computation],
            many=True,
        ).data

    @extend_schema_field(
        serializers.ListField(child=named_choices("ClaimStateEnum", Claim.State.choices))
    )
    def get_next_states(self, claim):
        return sorted(claim_services.next_states(claim.state))


class ClaimFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=Claim.State.choices)
    client = django_filters.NumberFilter(field_name="client_id")
    policy = django_filters.NumberFilter(field_name="policy_id")
    invoice = django_filters.NumberFilter(field_name="lines__invoice_id", distinct=True)
    opened_after = django_filters.DateFilter(field_name="opened_on", lookup_expr="gte")
    opened_before = django_filters.DateFilter(field_name="opened_on", lookup_expr="lte")

    class Meta:
        model = Claim
        fields = []


class ReferenceInput(serializers.Serializer):
    insurer_reference = serializers.CharField(
        max_length=60, required=False, allow_blank=True, default=""
    )


class FileInput(ReferenceInput):
    filed_on = serializers.DateField(required=False, allow_null=True, help_text="Default: today.")


class IndemnifyInput(serializers.Serializer):
    amount = serializers.DecimalField(**MONEY, min_value=Decimal("0.01"))
    paid_on = serializers.DateField()


class RejectInput(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


STATE_CHANGE = (
    "A claim whose state does not allow this answers 409 with the reason; `next_states` "
    "says what it allows."
)


@extend_schema_view(
    list=extend_schema(
        summary="List claims with their invoices and amounts",
        description="Claims (sinistres) filed with the credit insurer, newest first. Filter "
        "by state, client, policy, invoice, opening date.",
    ),
    retrieve=extend_schema(summary="A claim: its invoices, computation and the insurer's answer"),
)
class ClaimViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    serializer_class = ClaimSerializer
    filterset_class = ClaimFilter
    filter_backends = FILTERS
    ordering_fields = ["id", "opened_on"]
    read_perm = Perm.VIEW_COLLECTIONS
    write_perm = Perm.MANAGE_COLLECTIONS
    queryset = Claim.objects.none()

    def get_queryset(self):
        return Claim.objects.prefetch_related("lines__invoice")

    def _answer(self, claim):
        return Response(ClaimSerializer(self.get_queryset().get(pk=claim.pk)).data)

    @extend_schema(
        summary="Record that the claim was filed with the insurer",
        description=STATE_CHANGE,
        request=FileInput,
        responses=ClaimSerializer,
    )
    @action(detail=True, methods=["post"], url_path="file")
    def file_claim(self, request, pk=None):
        claim = self.get_object()
        data = {**self.input(FileInput)}
        data["filed_on"] = data.get("filed_on") or paris_today()
        return self._answer(
            claim_services.claim_file(claim=claim, actor=request.user, today=paris_today(), **data)
        )

    @extend_schema(
        summary="Record the insurer's acknowledgement of the claim",
        description=STATE_CHANGE,
        request=ReferenceInput,
        responses=ClaimSerializer,
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        claim = self.get_object()
        data = self.input(ReferenceInput)
        return self._answer(
            claim_services.claim_acknowledge(claim=claim, actor=request.user, **data)
        )

    @extend_schema(
        summary="Record the indemnity the insurer paid",
        description="Once per claim: indemnified when the amount reaches the expected "
        "indemnity, partially indemnified under it, never more than the unpaid covered "
        "amount. Each consultant's activity account is credited with their invoices' share, "
        f"net of the management fee. {STATE_CHANGE}",
        request=IndemnifyInput,
        responses=ClaimSerializer,
        examples=[
            OpenApiExample(
                "The expected indemnity, paid",
                value={"amount": "4900.00", "paid_on": "2026-09-10"},
                request_only=True,
            )
        ],
    )
    @action(detail=True, methods=["post"])
    def indemnify(self, request, pk=None):
        claim = self.get_object()
        data = self.input(IndemnifyInput)
        return self._answer(
            claim_services.claim_indemnify(
                claim=claim, actor=request.user, today=paris_today(), **data
            )
        )

    @extend_schema(
        summary="Record the insurer's refusal to pay",
        description=f"With the reason the insurer gave. {STATE_CHANGE}",
        request=RejectInput,
        responses=ClaimSerializer,
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        claim = self.get_object()
        data = self.input(RejectInput)
        return self._answer(
            claim_services.claim_reject(claim=claim, actor=request.user, reason=data["reason"])
        )

    @extend_schema(
        summary="Close the claim: nothing more is expected from the insurer",
        description=STATE_CHANGE,
        request=None,
        responses=ClaimSerializer,
    )
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        claim = self.get_object()
        return self._answer(claim_services.claim_close(claim=claim, actor=request.user))
