"""API v1 for webhooks: the company's endpoints and their deliveries. The same services as
the admin's page. Read-write keys only: an endpoint shows its signing secret."""

import django_filters
from django.core.validators import URLValidator
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from portage.api.base import RULE, TenantViewSet
from portage.models import ApiKey
from portage.permissions import Perm
from webhooks import dispatch, services
from webhooks.models import Attempt, Delivery, Endpoint, Event, EventType

VERIFY = (
    "Each delivery is a POST of the event as JSON (`id`, `type`, `sequence`, `created`, "
    "`data`), signed in the header `Portage-Signature: t=<unix time>,v1=<hex>` where v1 is "
    "the HMAC-SHA256, keyed with the endpoint's `secret`, of `<t>.<raw body>`. Answer 2xx "
    "quickly; anything else is retried after 1 min, 5 min, 30 min, 2 h, 6 h, 12 h and 24 h. "
    "Deduplicate on `id`, order by `sequence`. See docs/webhooks.md."
)


class ReadWriteKeyOnly(permissions.BasePermission):
    message = _("Webhooks need a read-write API key: they show signing secrets.")

    def has_permission(self, request, view):
        return not isinstance(request.auth, ApiKey) or request.auth.scope == ApiKey.Scope.WRITE


class EndpointSerializer(serializers.ModelSerializer):
    events = serializers.ListField(child=serializers.ChoiceField(choices=EventType.choices))

    class Meta:
        model = Endpoint
        fields = [
            "id",
            "url",
            "description",
            "events",
            "secret",
            "is_active",
            "disabled_at",
            "disabled_reason",
            "consecutive_failures",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class EndpointURLField(serializers.URLField):
    """A URI, as the schema states (`format: uri`); one the platform cannot call (a host name
    longer than DNS allows, a label over 63 characters, a scheme other than http or https)
    breaks a rule the format does not state: a 422, as the service's own checks are."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators = [
            *(v for v in self.validators if not isinstance(v, URLValidator)),
            URLValidator(message=self.error_messages["invalid"], code=RULE),
        ]


class EndpointInput(serializers.Serializer):
    url = EndpointURLField(max_length=500)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EventType.choices), allow_empty=False
    )
    is_active = serializers.BooleanField(required=False)


class EventSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id", read_only=True)
    sequence = serializers.IntegerField(source="pk", read_only=True)
    created = serializers.DateTimeField(source="occurred_at", read_only=True)

    class Meta:
        model = Event
        fields = ["id", "type", "sequence", "created"]
        read_only_fields = fields


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attempt
        fields = ["at", "status_code", "error", "duration_ms", "response_excerpt"]
        read_only_fields = fields


class DeliverySerializer(serializers.ModelSerializer):
    event = EventSerializer(read_only=True)
    log = AttemptSerializer(many=True, read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "endpoint",
            "event",
            "status",
            "attempts",
            "next_attempt_at",
            "last_attempt_at",
            "last_status_code",
            "last_error",
            "last_response_excerpt",
            "created_at",
            "log",
        ]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(summary="List the webhook endpoints"),
    retrieve=extend_schema(summary="A webhook endpoint, with its signing secret"),
    create=extend_schema(
        summary="Register a webhook endpoint",
        description="The answer carries the endpoint's signing `secret`. " + VERIFY,
        request=EndpointInput,
        responses={201: EndpointSerializer},
        examples=[
            OpenApiExample(
                "The accounting tool",
                value={
                    "url": "https://compta.example/hooks/portage",
                    "description": "Accounting tool",
                    "events": ["invoice.issued", "invoice.paid", "payment.created"],
                },
                request_only=True,
            )
        ],
    ),
    update=extend_schema(
        summary="Change a webhook endpoint",
        description="`is_active: false` stops the deliveries, `true` resumes them.",
        request=EndpointInput,
        responses=EndpointSerializer,
    ),
    partial_update=extend_schema(
        summary="Change some fields of a webhook endpoint",
        request=EndpointInput,
        responses=EndpointSerializer,
    ),
    destroy=extend_schema(summary="Delete a webhook endpoint and its delivery log"),
)
class EndpointViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    TenantViewSet,
):
    serializer_class = EndpointSerializer
    read_perm = Perm.MANAGE_COMPANY
    write_perm = Perm.MANAGE_COMPANY
    permission_classes = [*TenantViewSet.permission_classes, ReadWriteKeyOnly]
    queryset = Endpoint.objects.none()

    def get_queryset(self):
        return Endpoint.objects.order_by("-id")

    def create(self, request, *args, **kwargs):
        data = EndpointInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        endpoint = services.endpoint_create(
            tenant=request.tenant,
            by=request.user,
            url=values["url"],
            events=values["events"],
            description=values.get("description", ""),
        )
        return Response(EndpointSerializer(endpoint).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, partial=False, **kwargs):
        endpoint = self.get_object()
        data = EndpointInput(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if {"url", "events", "description"} & set(values):
            endpoint = services.endpoint_update(
                endpoint=endpoint,
                by=request.user,
                url=values.get("url", endpoint.url),
                events=values.get("events", endpoint.events),
                description=values.get("description", endpoint.description),
            )
        if values.get("is_active") is True:
            services.endpoint_enable(endpoint=endpoint, by=request.user)
        elif values.get("is_active") is False:
            dispatch.endpoint_disable(
                endpoint=endpoint, by=request.user, reason=_("Disabled through the API.")
            )
        return Response(EndpointSerializer(endpoint).data)

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    def destroy(self, request, *args, **kwargs):
        services.endpoint_delete(endpoint=self.get_object(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Send a test event (ping) to the endpoint",
        description="A `ping` event for this endpoint only, sent at once.",
        request=None,
        responses={201: DeliverySerializer},
    )
    @action(detail=True, methods=["post"])
    def ping(self, request, pk=None):
        delivery = services.endpoint_ping(endpoint=self.get_object(), by=request.user)
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_201_CREATED)


class DeliveryFilter(django_filters.FilterSet):
    # Declared one by one (no Meta.fields): see invoices.api.invoices.InvoiceFilter.
    endpoint = django_filters.NumberFilter(field_name="endpoint_id")
    status = django_filters.ChoiceFilter(choices=Delivery.Status.choices)
    event_type = django_filters.CharFilter(field_name="event__type")

    class Meta:
        model = Delivery
        fields = []


@extend_schema_view(
    list=extend_schema(
        summary="List webhook deliveries",
        description="Newest first; filter by endpoint, status (pending, succeeded, dead) "
        "and event type. " + VERIFY,
    ),
    retrieve=extend_schema(summary="A webhook delivery with the log of its attempts"),
)
class DeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    serializer_class = DeliverySerializer
    filterset_class = DeliveryFilter
    read_perm = Perm.MANAGE_COMPANY
    write_perm = Perm.MANAGE_COMPANY
    permission_classes = [*TenantViewSet.permission_classes, ReadWriteKeyOnly]
    queryset = Delivery.objects.none()

    def get_queryset(self):
        return Delivery.objects.select_related("event").prefetch_related("log")

    @extend_schema(
        summary="Send a delivery again now",
        description="Whatever became of it, with a fresh set of attempts; the log keeps "
        "the earlier ones. Refused (409) while the endpoint is disabled.",
        request=None,
        responses=DeliverySerializer,
    )
    @action(detail=True, methods=["post"])
    def replay(self, request, pk=None):
        delivery = services.delivery_replay(delivery=self.get_object(), by=request.user)
        return Response(DeliverySerializer(delivery).data)
