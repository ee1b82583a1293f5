"""How the API's authentication reads in the OpenAPI schema (drf-spectacular)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


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
    "400": "The request is not valid: `fields` says which field and why.",
    "401": "No API key, or an unknown or revoked one.",
    "403": "The key's scope (or the member's role) does not allow this.",
    "404": "No such object in this company.",
    "409": "Conflicts with the object's state, or an Idempotency-Key reused with another body.",
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


def add_error_responses(result, generator, request, public):
    """drf-spectacular post-processing: every operation documents the one error shape for
    the 4xx it can answer, so clients (and schemathesis) can rely on it."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    reference = {"$ref": "#/components/schemas/Error"}
    for name, path in result.get("paths", {}).items():
        for method, operation in path.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            statuses = ["401", "403", "429"]
            if method != "get" or "{" in name:
                statuses.append("404")
            if method in ("post", "put", "patch") or "parameters" in operation:
                statuses.append("400")
            if method == "post":
                statuses.append("409")
            if method in ("put", "patch", "delete"):
                statuses += ["409", "412"]
            for status in statuses:
                responses.setdefault(
                    status,
                    {
                        "description": ERROR_STATUSES[status],
                        "content": {"application/json": {"schema": reference}},
                    },
                )
    return result
