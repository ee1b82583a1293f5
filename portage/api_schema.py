"""How the API's authentication reads in the OpenAPI schema (drf-spectacular)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "portage.api_auth.ApiKeyAuthentication"
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
