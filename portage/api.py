"""What every endpoint of the REST API shares: authentication by API key (or the browser's
session), the role and key-scope check, cursor pagination, throttling per key, and one JSON
shape for errors. Business rules stay in the services the pages call.

Tenancy: `portage.middleware.TenantMiddleware` finds the key's company before the view
runs and runs the whole request inside it, as for a signed-in user; another company's
object is out of scope and answers 404.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, permissions, viewsets
from rest_framework.response import Response
from rest_framework.views import exception_handler

from portage.api_auth import RolePermission


class TenantViewSet(viewsets.GenericViewSet):
    """Base of the API's viewsets: declares the permissions its reads and writes need."""

    read_perm = None
    write_perm = None
    permission_classes = [permissions.IsAuthenticated, RolePermission]

    @classmethod
    def as_view(cls, *args, **kwargs):
        view = super().as_view(*args, **kwargs)
        # Checked per method by RolePermission (see tests/portage/test_permissions.py).
        view.required_permission = f"api:{cls.read_perm}/{cls.write_perm}"
        return view


CODES = {
    400: "invalid",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    412: "precondition_failed",
    415: "unsupported_media_type",
    429: "throttled",
}


def handle_exception(exc, context):
    """Every error in one shape: {"error": {"code", "message", "fields"}}, 4xx for bad
    input (a service's ValidationError included), never a 500 for what the caller sent."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    code = CODES.get(response.status_code, "error")
    detail = response.data
    fields = {}
    if isinstance(exc, exceptions.ValidationError):
        message = _("Some fields are not valid.")
        fields = detail if isinstance(detail, dict) else {"non_field_errors": detail}
    else:
        message = str(detail.get("detail", "")) if isinstance(detail, dict) else str(detail)
        code = getattr(getattr(exc, "detail", None), "code", None) or code
    body = {"error": {"code": code, "message": message, "fields": fields}}
    return Response(body, status=response.status_code, headers=_headers(response))


def _headers(response):
    return {
        name: value
        for name, value in response.items()
        if name in ("Retry-After", "WWW-Authenticate", "Allow")
    }
