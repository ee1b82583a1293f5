"""Authentication, permission, throttling and pagination of the API. Kept apart from
`portage.api.base`: REST framework imports these while it loads its views."""

from django.utils.translation import gettext as _
from rest_framework import exceptions, permissions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.pagination import CursorPagination
from rest_framework.throttling import SimpleRateThrottle

from portage.models import ApiKey
from portage.permissions import has_perm


class ApiKeyAuthentication(BaseAuthentication):
    """`Authorization: Bearer ptg_…`; the middleware already checked the key."""

    def authenticate(self, request):
        header = get_authorization_header(request)
        if not header:
            return None
        key = getattr(request._request, "api_key", None)
        if key is None:
            raise exceptions.AuthenticationFailed(_("Unknown or revoked API key."))
        return (key.created_by, key)

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class RolePermission(permissions.BasePermission):
    """Reads need the view's `read_perm`, writes its `write_perm`: from the key's scope for
    an API key (read, or read-write), from the member's role for the browser."""

    message = _("Your role or your key's scope does not allow this.")

    def has_permission(self, request, view):
        write = request.method not in permissions.SAFE_METHODS
        if isinstance(request.auth, ApiKey):
            return request.auth.scope == ApiKey.Scope.WRITE or not write
        membership = getattr(request._request, "membership", None)
        if membership is None:
            return False
        perm = view.write_perm if write else view.read_perm
        return has_perm(membership, perm)


class ApiKeyRateThrottle(SimpleRateThrottle):
    """Calls per key (or per signed-in user) and minute; a throttled call gets 429 with
    `Retry-After`."""

    scope = "api"

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiKey):
            ident = f"key-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class Pagination(CursorPagination):
    """Cursor pagination: stable under inserts, fast on large tables. `page_size` is a
    whole number, 1 or more (a larger one than `max_page_size` gives that many); anything
    else is a 400, not silently the default. A cursor that names no page is a 404."""

    page_size = 50
    max_page_size = 100
    page_size_query_param = "page_size"
    ordering = "-id"

    def get_page_size(self, request):
        value = request.query_params.get(self.page_size_query_param)
        if value is None:
            return self.page_size
        if not value.isascii() or not value.isdigit() or int(value) < 1:
            raise exceptions.ValidationError(
                {self.page_size_query_param: [_("A whole number, 1 or more.")]}
            )
        return min(int(value), self.max_page_size)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["description"] = (
                    f"Rows per page, 1 or more (default {self.page_size}; more than "
                    f"{self.max_page_size} gives {self.max_page_size})."
                )
                parameter["schema"] = {"type": "integer", "minimum": 1}
            elif parameter["name"] == self.cursor_query_param:
                parameter["description"] = (
                    "From `next` or `previous` of the page before; one that names no page is a 404."
                )
        return parameters
