"""What every endpoint of the REST API shares: authentication by API key (or the browser's
session), the role and key-scope check, cursor pagination, throttling per key, and one JSON
shape for errors. Business rules stay in the services the pages call.

Tenancy: `portage.middleware.TenantMiddleware` finds the key's company before the view
runs and runs the whole request inside it, as for a signed-in user; another company's
object is out of scope and answers 404.
"""

import hashlib
import json

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, permissions, renderers, serializers, viewsets
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler

from portage.api.auth import RolePermission
from portage.api.input import RULE, refuse_fields_not_taken
from portage.models import IdempotencyRecord
from portage.permissions import public

WRITE_METHODS = ("POST", "PUT", "PATCH")


class TenantViewSet(viewsets.GenericViewSet):
    """Base of the API's viewsets: declares the permissions its reads and writes need,
    refuses a body field a write does not take (`portage.api.input`), and makes every POST
    idempotent under an `Idempotency-Key` header."""

    read_perm = None
    write_perm = None
    permission_classes = [permissions.IsAuthenticated, RolePermission]

    @classmethod
    def as_view(cls, *args, **kwargs):
        view = super().as_view(*args, **kwargs)
        # Checked per method by RolePermission (see tests/portage/test_permissions.py).
        view.required_permission = f"api:{cls.read_perm}/{cls.write_perm}"
        return view

    def dispatch(self, request, *args, **kwargs):
        key = request.headers.get("Idempotency-Key")
        principal = _principal(request)
        if request.method != "POST" or key is None or principal is None or request.tenant is None:
            return super().dispatch(request, *args, **kwargs)
        key = _header_text(key)
        refused = idempotency_key_refused(key)
        if refused is not None:
            return refused
        return idempotent(
            request,
            principal,
            key,
            lambda: super(TenantViewSet, self).dispatch(request, *args, **kwargs),
        )

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # Once the caller may write: a field the operation does not take is a 400, whatever
        # the handler reads, before it does anything.
        if request.method in WRITE_METHODS:
            refuse_fields_not_taken(self)

    def input(self, serializer_class):
        """The request's body checked by an input serializer: its data, or a 400."""
        data = serializer_class(data=self.request.data)
        data.is_valid(raise_exception=True)
        return data.validated_data

    def finalize_response(self, request, response, *args, **kwargs):
        # An error is JSON in the error shape, whatever the endpoint renders when it works
        # (a PDF, a FEC text file, `?format=txt`).
        if isinstance(response, Response) and response.status_code >= 400:
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


class PDFRenderer(renderers.BaseRenderer):
    """For the actions that answer a PDF file (invoices, formal notices)."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


def _principal(request):
    if getattr(request, "api_key", None) is not None:
        return f"key:{request.api_key.pk}"
    if request.user.is_authenticated:
        return f"user:{request.user.pk}"
    return None


# An Idempotency-Key: up to 255 characters, any printable ones (UTF-8 included), compared
# whole; a longer, blank or unprintable key is refused, never cut nor ignored.
IDEMPOTENCY_KEY_MAX = 255


def _header_text(value):
    """A header as its sender wrote it: WSGI hands it over decoded as Latin-1, so UTF-8
    text comes back as UTF-8 (a value that is not UTF-8 stays as it came)."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def idempotency_key_refused(key):
    """The 400 for an `Idempotency-Key` header that cannot be kept as it is sent, or None."""
    if not key.strip():
        code, message = "idempotency_key_blank", _("The Idempotency-Key header is empty.")
    elif len(key) > IDEMPOTENCY_KEY_MAX:
        code = "idempotency_key_too_long"
        message = _("The Idempotency-Key is longer than %(max)s characters.") % {
            "max": IDEMPOTENCY_KEY_MAX
        }
    elif not key.isprintable():
        code = "idempotency_key_unprintable"
        message = _("The Idempotency-Key holds a character that cannot be printed.")
    else:
        return None
    return JsonResponse(error_body(code, message, {"Idempotency-Key": [message]}), status=400)


def idempotent(request, principal, key, handle):
    """Does the work once per (caller, key): the first request inserts its record, a twin
    waits on the unique constraint until the first commits, then gets the stored answer.
    The key is compared whole, by its SHA-256."""
    try:
        digest = hashlib.sha256(request.body).hexdigest()
    except RequestDataTooBig:
        return JsonResponse(error_body("too_large", _("The request is too large.")), status=413)
    key_sha256 = hashlib.sha256(key.encode("utf-8")).hexdigest()
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                tenant=request.tenant,
                principal=principal,
                key=key,
                key_sha256=key_sha256,
                method=request.method,
                path=request.path[:300],
                body_sha256=digest,
            )
    except IntegrityError:
        first = IdempotencyRecord.objects.get(principal=principal, key_sha256=key_sha256)
        if first.body_sha256 != digest or first.path != request.path[:300]:
            return JsonResponse(
                error_body(
                    "idempotency_key_reused",
                    _("This Idempotency-Key was already used for another request."),
                ),
                status=409,
            )
        replay = JsonResponse(first.response_body, status=first.status_code, safe=False)
        replay["Idempotent-Replayed"] = "true"
        return replay
    response = handle()
    # A refused request rolls the request's transaction back, its record with it: the same
    # key may be sent again, corrected or not, and is judged again.
    if response.status_code < 500 and not transaction.get_rollback():
        response.render()
        record.status_code = response.status_code
        record.response_body = json.loads(response.content or b"null")
        record.save(update_fields=["status_code", "response_body"])
    return response


def error_body(code, message, fields=None):
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def not_found(request, exception):
    """Django's 404 for a path no route matches: the error shape under /api/, else the page."""
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("not_found", _("Not found.")), status=404)
    return defaults.page_not_found(request, exception)


@csrf_exempt
@public
def api_path_not_found(request):
    """A path under /api/ that no route takes (an id such as 0.5, a typo): the 404 in the
    error shape, with DEBUG on too (Django's debug page would answer it in HTML), for a POST
    too (the API authenticates by key, not by session: no CSRF page in HTML)."""
    return not_found(request, None)


def server_error(request):
    """A 500 under /api/ still answers in the error shape (and is logged as one)."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            error_body("server_error", _("An error on our side; it has been logged.")),
            status=500,
        )
    return defaults.server_error(request)


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
    422: "refused",
    429: "throttled",
}

# The three answers to a request the server will not carry out, by what is wrong with it:
# - 400: the request breaks its operation's schema (a type, a format, a length, a required
#   or unknown field): the schema says so, and a client can check it before sending;
# - 409: it keeps the schema, but the object is not in a state that allows it (an invoice
#   issued already, a claim closed, a case not paused, a SIREN another client holds);
# - 422: it keeps the schema, but a business rule the schema cannot state refuses it (an
#   id naming no object of the company, a date already past, a credit note over what is
#   unpaid, a French client without its SIREN).
# A service's refusal (Django's ValidationError, raised after the request was read) is a
# 422, or a 409 when its code is one of STATE_CODES; an input serializer's is a 400 unless
# every one of its errors carries a code of RULE_CODES (422) or STATE_CODES (409).
STATE_CODES = {
    "issued": "not_a_draft",
    "already_reversed": "already_reversed",
    "state": "conflict",
    "exists": "exists",
    "done": "already_done",
    "unique": "exists",
}
# An id naming no object (PrimaryKeyRelatedField), a NUL character (PostgreSQL keeps none).
RULE_CODES = {RULE, "does_not_exist", "null_characters_not_allowed"}


def rule_broken(detail):
    """The refusal, by a business rule the schema cannot state, of what an input serializer
    read (a message, or messages by field): answered 422 (see STATE_CODES)."""
    return serializers.ValidationError(detail, code=RULE)


def _codes(detail):
    """The codes of every error in a REST framework error detail, nested ones included."""
    if isinstance(detail, dict):
        return {code for value in detail.values() for code in _codes(value)}
    if isinstance(detail, list):
        return {code for value in detail for code in _codes(value)}
    return {getattr(detail, "code", None)}


def _django_codes(error):
    if hasattr(error, "error_dict"):
        return {e.code for errors in error.error_dict.values() for e in errors}
    return {e.code for e in error.error_list}


def _service_refusal(error):
    """A service's ValidationError as the API answers it: 409 or 422 (see STATE_CODES)."""
    fields = error.message_dict if hasattr(error, "error_dict") else {}
    codes = _django_codes(error)
    state = next((STATE_CODES[code] for code in codes if code in STATE_CODES), None)
    if state is not None:
        return Conflict(" ".join(error.messages), code=state), fields
    return Refused(fields or {"non_field_errors": error.messages}), None


class Conflict(exceptions.APIException):
    """The object's state does not allow this request: 409."""

    status_code = 409
    default_code = "conflict"


class Refused(exceptions.ValidationError):
    """A business rule the schema cannot state refuses this request: 422."""

    status_code = 422
    default_code = "refused"


def handle_exception(exc, context):
    """Every error in one shape: {"error": {"code", "message", "fields"}}, 4xx for bad
    input (a service's ValidationError included), never a 500 for what the caller sent."""
    fields = {}
    if isinstance(exc, DjangoValidationError):
        exc, conflict_fields = _service_refusal(exc)
        fields = conflict_fields or {}
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    status = response.status_code
    code = CODES.get(status, "error")
    detail = response.data
    if isinstance(exc, exceptions.ValidationError):
        fields = detail if isinstance(detail, dict) else {"non_field_errors": detail}
        codes = _codes(exc.detail)
        if status == 400 and codes <= set(STATE_CODES):
            status = 409
            code = next(STATE_CODES[c] for c in sorted(codes))
            message = " ".join(_messages(fields))
        elif status == 400 and codes <= RULE_CODES | set(STATE_CODES):
            status, code = 422, CODES[422]
        if status == 400:
            message = _("Some fields are not valid.")
        elif status == 422:
            message = _("A rule refuses this request: see fields.")
    else:
        message = str(detail.get("detail", "")) if isinstance(detail, dict) else str(detail)
        code = getattr(getattr(exc, "detail", None), "code", None) or code
    return Response(error_body(code, message, fields), status=status, headers=_headers(response))


def _messages(detail):
    if isinstance(detail, dict):
        return [m for value in detail.values() for m in _messages(value)]
    if isinstance(detail, list):
        return [m for value in detail for m in _messages(value)]
    return [str(detail)]


def _headers(response):
    return {
        name: value
        for name, value in response.items()
        if name in ("Retry-After", "WWW-Authenticate", "Allow")
    }
