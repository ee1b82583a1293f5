"""What the API accepts from a caller, refused with a 400 rather than silently ignored or
left to fail in the database: a body field the endpoint does not know, an ordering it does
not offer, a date-time PostgreSQL cannot hold.

Body fields: every write (POST, PUT, PATCH) of a `TenantViewSet` is checked before its
handler runs against the body its operation documents in the schema (`@extend_schema`'s
`request`, else the view's serializer; `request=None`: no body). A field it does not take,
unknown or read-only, at the top or nested, is a 400 naming it; nothing is done. In a JSON
body, a value not of the JSON type the schema states (0 for a string or a boolean, a number
for an amount sent as a string) is a 400 too, where REST framework would convert it."""

import re
from datetime import UTC

import django_filters
from django import forms
from django.core.validators import EmailValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters.fields import IsoDateTimeField
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.plumbing import get_class
from drf_spectacular.utils import OpenApiRequest, extend_schema_field
from rest_framework import serializers
from rest_framework.filters import OrderingFilter

# The largest id PostgreSQL holds (bigint): an id filter beyond is refused.
ID_MAX = 2**63 - 1

UNKNOWN_FIELD = gettext_lazy("Unknown field: it cannot be set here.")

# The code of an error a business rule gives, not the schema: answered 422 (portage.api.base).
RULE = "rule"


class StrictInput(serializers.Serializer):
    """An input serializer that refuses fields it does not take (unknown or read-only): a
    caller sending `status` or `total_ttc` to change them is told they cannot, instead of
    believing it worked."""

    def to_internal_value(self, data):
        if hasattr(data, "keys"):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(set(data.keys()) - writable)
            if unknown:
                raise serializers.ValidationError({name: [UNKNOWN_FIELD] for name in unknown})
        return super().to_internal_value(data)


def documented_inputs(view):
    """The serializers the schema documents for the body of the view's current call (one
    per media type, an upload's included): [] for an operation that takes no body, None
    when what it takes is not a serializer (nothing is checked then)."""
    handler = getattr(view, view.action or "", None)
    if handler is None:
        return None  # a method the route does not offer: 405
    schema_class = get_class(getattr(handler, "kwargs", {}).get("schema") or view.schema)
    schema = schema_class()
    schema.view = view
    schema.method = view.request.method
    schema.path = view.request.path
    documented = schema.get_request_serializer()
    if isinstance(documented, OpenApiRequest):
        documented = documented.request
    candidates = documented.values() if isinstance(documented, dict) else [documented]
    inputs = []
    for candidate in candidates:
        if isinstance(candidate, OpenApiRequest):
            candidate = candidate.request
        if candidate is None:
            continue
        if isinstance(candidate, type) and issubclass(candidate, serializers.BaseSerializer):
            candidate = candidate()
        if not isinstance(candidate, serializers.BaseSerializer):
            return None
        inputs.append(candidate)
    return inputs


def fields_not_taken(serializer, data):
    """The fields of `data` that `serializer` does not take (unknown or read-only), nested
    ones where they are, in the shape of a ValidationError's detail; empty when none."""
    if isinstance(serializer, serializers.ListSerializer):
        if not isinstance(data, list):
            return {}
        errors = [fields_not_taken(serializer.child, item) for item in data]
        return errors if any(errors) else {}
    if not isinstance(serializer, serializers.Serializer) or not hasattr(data, "keys"):
        return {}
    writable = {name: field for name, field in serializer.fields.items() if not field.read_only}
    errors = {}
    for name in data:
        if name not in writable:
            errors[name] = [UNKNOWN_FIELD]
        elif nested := fields_not_taken(writable[name], data[name]):
            errors[name] = nested
    return errors


NOT_A_STRING = gettext_lazy("Not a string: send this value as a JSON string.")
NOT_AN_AMOUNT = gettext_lazy('Not a string: send an amount as a JSON string, e.g. "1200.50".')
NOT_A_BOOLEAN = gettext_lazy("Not a boolean: send true or false.")
NOT_A_WHOLE_NUMBER = gettext_lazy("Not a whole number: send it as a JSON integer.")
NOT_A_NUMBER = gettext_lazy("Not a number: send it as a JSON number.")


def _expected(field):
    """The JSON type the schema states for `field`'s value, as a check and its message;
    None where it states none the body's own parsing leaves to the field."""
    if isinstance(field, serializers.BooleanField):
        return (lambda value: isinstance(value, bool)), NOT_A_BOOLEAN
    if isinstance(field, serializers.DecimalField):
        if getattr(field, "coerce_to_string", None) is False:
            return None
        return (lambda value: isinstance(value, str)), NOT_AN_AMOUNT
    if isinstance(field, (serializers.IntegerField, serializers.PrimaryKeyRelatedField)):
        return (lambda value: isinstance(value, int) and not isinstance(value, bool)), (
            NOT_A_WHOLE_NUMBER
        )
    if isinstance(field, serializers.FloatField):
        return (
            lambda value: isinstance(value, (int, float)) and not isinstance(value, bool)
        ), NOT_A_NUMBER
    if isinstance(field, serializers.MultipleChoiceField):
        return (
            lambda value: isinstance(value, list) and all(isinstance(item, str) for item in value)
        ), NOT_A_STRING
    if isinstance(field, serializers.ChoiceField):
        if all(isinstance(choice, str) for choice in field.choices):
            return (lambda value: isinstance(value, str)), NOT_A_STRING
        return None
    if isinstance(
        field,
        (
            serializers.CharField,
            serializers.DateField,
            serializers.DateTimeField,
            serializers.TimeField,
            serializers.DurationField,
            serializers.UUIDField,
        ),
    ):
        return (lambda value: isinstance(value, str)), NOT_A_STRING
    return None


def wrong_types(field, value):
    """Where a JSON body's value is not of the type its schema states (REST framework
    would turn 0 into "0", False or 0.00), in the shape of a ValidationError's detail."""
    if value is None:
        return {}
    if isinstance(field, (serializers.ListSerializer, serializers.ListField)):
        if not isinstance(value, list):
            return {}
        errors = [wrong_types(field.child, item) for item in value]
        return errors if any(errors) else {}
    if isinstance(field, serializers.Serializer):
        if not isinstance(value, dict):
            return {}
        errors = {}
        for name, child in field.fields.items():
            found = name in value and not child.read_only and wrong_types(child, value[name])
            if found:
                errors[name] = found
        return errors
    expected = _expected(field)
    if expected is None or expected[0](value):
        return {}
    return [expected[1]]


def refuse_fields_not_taken(view):
    """Raises the 400 naming every field of the request's body its operation does not take
    (see the module's docstring); a body sent to an operation that takes none is refused."""
    inputs = documented_inputs(view)
    if inputs is None:
        return
    data = view.request.data
    if not inputs:
        if hasattr(data, "keys"):
            errors = {name: [UNKNOWN_FIELD] for name in data}
        elif data is None or data == [] or data == "":
            errors = {}
        else:
            errors = {"non_field_errors": [_("This operation takes no body.")]}
    else:
        # One serializer per media type: a field is refused when none of them takes it.
        found = [fields_not_taken(serializer, data) for serializer in inputs]
        errors = found[0] if all(found) else {}
        if not errors and isinstance(data, (dict, list)) and _is_json(view.request):
            typed = [wrong_types(serializer, data) for serializer in inputs]
            errors = typed[0] if all(typed) else {}
    if errors:
        raise serializers.ValidationError(errors)


def _is_json(request):
    return (request.content_type or "").split(";")[0].strip().lower().endswith("json")


class EmailAddress(serializers.EmailField):
    """An email address as the schema states it (`format: idn-email`: a domain in any
    script, facturation@société.fr, as Django sends to it); one Django's check refuses
    (a one-letter top-level domain, a part before @ that is not ASCII) breaks a rule the
    format does not state: a 422 (portage.api.base)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators = [
            *(v for v in self.validators if not isinstance(v, EmailValidator)),
            EmailValidator(message=self.error_messages["invalid"], code=RULE),
        ]


class Ordering(OrderingFilter):
    """`?ordering=field` (ascending) or `-field` (descending), several separated by commas,
    among the view's `ordering_fields`; an unknown field is a 400.

    Lists are cursor-paginated and the cursor follows this ordering; ties are broken by id so
    that pages neither skip nor repeat a row. Without `ordering`, newest (highest id) first.
    """

    def get_ordering(self, request, queryset, view):
        param = request.query_params.get(self.ordering_param)
        if param is None:
            return None
        # As the schema's pattern states: terms separated by commas, no blank, no space.
        terms = param.split(",")
        allowed = list(view.ordering_fields)
        wrong = [term for term in terms if term.removeprefix("-") not in allowed]
        if wrong:
            wrong = [repr(term) if not term.strip() else term for term in wrong]
            raise serializers.ValidationError(
                {
                    self.ordering_param: [
                        _("Cannot order by %(wrong)s; choose among %(allowed)s.")
                        % {"wrong": ", ".join(wrong), "allowed": ", ".join(allowed)}
                    ]
                }
            )
        if not any(term.removeprefix("-") in ("id", "pk") for term in terms):
            terms.append("-id" if terms[0].startswith("-") else "id")
        return tuple(terms)

    def get_schema_operation_parameters(self, view):
        fields = ", ".join(f"`{name}`" for name in view.ordering_fields)
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": (
                    f"Order by {fields}; prefix with `-` for descending, several separated by "
                    "commas. Default: newest first. The cursor of the next page keeps it."
                ),
                "schema": {"type": "string", "pattern": ordering_pattern(view.ordering_fields)},
            }
        ]


def ordering_pattern(fields):
    term = "-?(?:" + "|".join(re.escape(name) for name in fields) + ")"
    return f"^{term}(?:,{term})*$"


class QueryFilters(DjangoFilterBackend):
    """django-filter, refusing what it would let through unfiltered: a parameter sent empty
    (`?updated_since=`; leave it out not to filter) and an id that is not a whole number
    PostgreSQL can hold (`?client=0.5`)."""

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is None:
            return None
        errors = {}
        for name, filter_ in filterset.filters.items():
            if name not in request.query_params:
                continue
            value = request.query_params[name]
            if value == "":
                errors[name] = [_("Empty: leave the parameter out not to filter by it.")]
            elif isinstance(filter_, django_filters.NumberFilter) and not _is_id(value):
                errors[name] = [_("An id is a whole number.")]
        if errors:
            raise serializers.ValidationError(errors)
        return filterset


def _is_id(value):
    if not re.fullmatch(r"-?[0-9]{1,19}", value):
        return False
    return -ID_MAX - 1 <= int(value) <= ID_MAX


class _UtcDateTimeField(IsoDateTimeField):
    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        try:
            # In UTC: PostgreSQL refuses offsets beyond ±15:59, which ISO 8601 allows.
            return value.astimezone(UTC)
        except (OverflowError, ValueError):
            raise forms.ValidationError(
                _("This date-time is out of range."), code="invalid"
            ) from None


class SinceFilter(django_filters.IsoDateTimeFilter):
    """`…_since=<ISO date-time>` for incremental sync: rows at or after that moment."""

    field_class = _UtcDateTimeField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("lookup_expr", "gte")
        super().__init__(*args, **kwargs)


# What every list filters and orders with.
FILTERS = [QueryFilters, Ordering]

_CHOICE_FIELDS = {}


def named_choices(component, choices, **kwargs):
    """A choice field whose choice set is one named component of the schema: the same set
    keeps its name wherever it appears, and two sets of one field name ("state" of a case,
    "state" of a claim) never collide."""
    if component not in _CHOICE_FIELDS:
        values = [value for value, _label in choices]
        _CHOICE_FIELDS[component] = extend_schema_field(
            {"type": "string", "enum": values}, component_name=component
        )(type(component, (serializers.ChoiceField,), {}))
    return _CHOICE_FIELDS[component](choices=choices, **kwargs)
