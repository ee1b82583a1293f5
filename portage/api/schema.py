"""How the API reads in its OpenAPI schema (drf-spectacular): the authentication, the
constraints the server applies stated as the schema's (decimals, lists that may not be
empty, ids, the body fields an operation takes), and every error status in one shape."""

from decimal import Decimal

from django.core.validators import RegexValidator
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from rest_framework import serializers

from portage.api.input import ID_MAX


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "portage.api.auth.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "An API key created by the company's admin (Company → API keys): "
                "`Authorization: Bearer ptg_...`. A read key reads; a read-write key may also "
                "create and change."
            ),
        }


ERROR_STATUSES = {
    "400": "The request breaks this schema (a type, a format, a length, a field required or "
    "unknown): `fields` says which field and why.",
    "401": "No API key, or an unknown or revoked one.",
    "403": "The key's scope (or the member's role) does not allow this.",
    "404": "No such object in this company.",
    "404-list": "The cursor (or `format`) names no page of this list.",
    "413": "The body is larger than the server takes.",
    "415": "The body is not of a media type this operation takes.",
    "409": "Conflicts with the object's state (`code` says which: `not_a_draft`, `exists`, "
    "`conflict`…), or an Idempotency-Key reused with another body.",
    "422": "The request keeps the schema, but a business rule refuses it (an id naming no "
    "object of the company, a date already past, an amount over what is due, an address "
    "mail cannot reach, a text holding the NUL character…): `fields` says which field "
    "and why.",
    "412": "If-Match does not match the object's current ETag: read it again.",
    "429": "Too many calls: wait for the seconds in Retry-After.",
}

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "fields"],
            "properties": {
                "code": {
                    "type": "string",
                    "description": "Machine-readable: invalid, not_found, throttled, …",
                },
                "message": {
                    "type": "string",
                    "description": "For people, in French or English (Accept-Language).",
                },
                "fields": {
                    "type": "object",
                    "additionalProperties": True,
                    "description": "For 400: the messages of each field that is not valid.",
                },
            },
        }
    },
}


def decimal_pattern(field):
    """The pattern of a decimal sent as a string: at least one digit, no more whole digits
    and decimals than the field keeps, no sign where it may not be negative, and within a
    round maximum (50, 100) where it has one. What DRF's own pattern allows but the field
    refuses ("", "-", "-5" for a positive amount) is left out."""
    whole = field.max_whole_digits
    places = field.decimal_places or 0
    low, high = field.min_value, field.max_value
    sign = "" if low is not None and low >= 0 else "-?"
    fraction = rf"(?:\.\d{{0,{places}}})?" if places else ""
    if high is not None and high == int(high) and high > 0 and (low is None or low >= 0):
        top = int(high)
        digits = len(str(top))
        lead, rest = str(top)[0], str(top)[1:]
        if set(rest) <= {"0"} and digits <= whole:
            below = [rf"\d{{1,{digits - 1}}}"] if digits > 1 else []
            if lead != "1":
                below.append(f"[1-{int(lead) - 1}]" + (rf"\d{{{digits - 1}}}" if rest else ""))
            if not rest:
                below = [f"[0-{int(lead) - 1}]"]
            exact = f"{top}" + (rf"(?:\.0{{0,{places}}})?" if places else "")
            return rf"^(?:(?:{'|'.join(below)}){fraction}|{exact})$"
    if low is not None and low > 0 and places and low <= Decimal(1).scaleb(-places):
        # More than zero: a whole part that is not zero, or decimals that are not all zeros.
        tiny = "|".join(
            f"0{{{zeros}}}[1-9]" + (rf"\d{{0,{places - zeros - 1}}}" if places - zeros > 1 else "")
            for zeros in range(places)
        )
        return rf"^(?:0*[1-9]\d{{0,{whole - 1}}}{fraction}|0*\.(?:{tiny}))$"
    return rf"^{sign}\d{{1,{max(whole, 1)}}}{fraction}$"


# What Python's str.strip() takes away (REST framework trims text before it checks it is
# not blank), written out as a JSON Schema pattern reads it: a text that is not blank holds
# one character outside this set.
_STRIPPED = "".join(f"\\u{code:04x}" for code in range(0x3001) if chr(code).isspace())
NOT_BLANK = f"[^{_STRIPPED}]"


class AutoSchema(BaseAutoSchema):
    """drf-spectacular's AutoSchema, stating constraints it leaves out."""

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if not isinstance(schema, dict):
            return schema
        if isinstance(field, serializers.EmailField) and schema.get("format") == "email":
            # As Django takes them: an internationalised domain (facturation@société.fr) too.
            schema["format"] = "idn-email"
        if (
            direction == "request"
            and isinstance(field, serializers.CharField)
            and not field.allow_blank
            and field.trim_whitespace
            and schema.get("type") == "string"
            and "pattern" not in schema
            and "enum" not in schema
            and not any(isinstance(v, RegexValidator) for v in field.validators)
        ):
            # " " is trimmed to "" and refused as blank: say a character must not be a space.
            schema["pattern"] = NOT_BLANK
        if (
            direction == "request"
            and isinstance(field, serializers.FileField)
            and not field.allow_empty_file
        ):
            schema.setdefault("minLength", 1)
        if (
            isinstance(field, serializers.DecimalField)
            and schema.get("type") == "string"
            and field.max_whole_digits is not None
        ):
            schema["pattern"] = decimal_pattern(field)
        if (
            isinstance(field, (serializers.ListField, serializers.ListSerializer))
            and not getattr(field, "allow_empty", True)
            and schema.get("type") == "array"
        ):
            schema["minItems"] = max(schema.get("minItems", 0), 1)
        return schema


def _close_objects(schema, components, seen):
    """`additionalProperties: false` on a request body's objects, nested ones included:
    every write refuses a field it does not take (portage.api.input)."""
    if not isinstance(schema, dict):
        return
    reference = schema.get("$ref")
    if reference:
        name = reference.rsplit("/", 1)[-1]
        if name not in seen and name in components:
            seen.add(name)
            _close_objects(components[name], components, seen)
        return
    if schema.get("type") == "object" and "properties" in schema:
        schema.setdefault("additionalProperties", False)
    for key in ("properties",):
        for child in schema.get(key, {}).values():
            _close_objects(child, components, seen)
    for key in ("items",):
        _close_objects(schema.get(key), components, seen)
    for key in ("allOf", "oneOf", "anyOf"):
        for child in schema.get(key, []):
            _close_objects(child, components, seen)


def _request_bodies(operation, components, seen):
    """The body an operation takes, in JSON where it takes JSON (the API's own format; the
    form encodings REST framework also parses are not offered), its objects closed."""
    body = operation.get("requestBody")
    if not body:
        return
    content = body.get("content", {})
    if "application/json" in content:
        body["content"] = {"application/json": content["application/json"]}
    for media in body["content"].values():
        _close_objects(media.get("schema"), components, seen)


def _query_parameters(operation):
    """An id filter is a whole number (the filter refuses a fraction); `page_size` is 1 or
    more (more than the maximum gives the maximum)."""
    for parameter in operation.get("parameters", []):
        if parameter.get("in") != "query":
            continue
        schema = parameter.get("schema", {})
        if schema.get("type") == "number":
            schema.update({"type": "integer", "format": "int64", "maximum": ID_MAX})
            schema.setdefault("minimum", -ID_MAX - 1)
            parameter.setdefault("description", "An id: the rows of that object only.")
        if parameter["name"] == "page_size" and schema.get("type") == "integer":
            schema.setdefault("minimum", 1)
        if schema.get("type") == "string" and parameter["name"] not in ("cursor", "format"):
            # A filter sent empty is refused (QueryFilters): leave it out not to filter.
            schema.setdefault("minLength", 1)


def add_error_responses(result, generator, request, public):
    """drf-spectacular post-processing: every operation documents the one error shape for
    the 4xx it can answer, so clients (and schemathesis) can rely on it; request bodies
    and query parameters state what the server refuses."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_SCHEMA
    reference = {"$ref": "#/components/schemas/Error"}
    closed = set()
    for name, path in result.get("paths", {}).items():
        for method, operation in path.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            _request_bodies(operation, components, closed)
            _query_parameters(operation)
            responses = operation.setdefault("responses", {})
            statuses = ["401", "403", "429"]
            if method != "get" or "{" in name:
                statuses.append("404")
            else:
                statuses.append("404-list")
            if method in ("post", "put", "patch") or "parameters" in operation:
                statuses.append("400")
            if method in ("post", "put", "patch"):
                statuses += ["413", "415"]
            required_query = any(
                parameter.get("in") == "query" and parameter.get("required")
                for parameter in operation.get("parameters", [])
            )
            if method in ("post", "put", "patch") or required_query:
                # A body, or parameters that must be sent, a business rule can refuse.
                statuses.append("422")
            if method == "post":
                statuses.append("409")
            if method in ("put", "patch", "delete"):
                statuses += ["409", "412"]
            for status in statuses:
                responses.setdefault(
                    status.removesuffix("-list"),
                    {
                        "description": ERROR_STATUSES[status],
                        "content": {"application/json": {"schema": reference}},
                    },
                )
    return result
