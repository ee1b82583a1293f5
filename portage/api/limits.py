"""What the API reads of a request, bounded before it is parsed, in one place for every
route: the body's size (`DATA_UPLOAD_MAX_MEMORY_SIZE`, the room a bank statement needs) and
the nesting depth of its JSON (`API_JSON_MAX_DEPTH`). A body over the size is answered 413
in the API's error shape, uploads and JSON alike, under every settings; a body nested
deeper is a 400, never a 500 (Python's parser gives up on deep nesting with a
RecursionError)."""

from django.conf import settings
from django.http import JsonResponse
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# What is read of an oversized body and thrown away before answering, so that the client,
# still sending, reads the 413 instead of a dropped connection; a body larger than this
# is answered without being read.
DRAIN_MAX_BYTES = 64 * 1024 * 1024
CHUNK = 64 * 1024


def body_too_large(request):
    """The 413 for a request to the API whose announced body is over the limit, or None."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if length <= limit:
        return None
    if length <= DRAIN_MAX_BYTES:
        stream = request.META.get("wsgi.input")
        left = length
        while stream is not None and left > 0:
            chunk = stream.read(min(CHUNK, left))
            if not chunk:
                break
            left -= len(chunk)
    message = _("The request is too large: %(size)s bytes at most.") % {"size": limit}
    body = {"error": {"code": "too_large", "message": message, "fields": {}}}
    response = JsonResponse(body, status=413)
    response["Connection"] = "close"
    return response


class ApiBodyLimitMiddleware:
    """Answers 413 for an API request whose body is over the limit, before anything reads
    it (Django would refuse it later with a 400 page in HTML)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/"):
            refused = body_too_large(request)
            if refused is not None:
                return refused
        return self.get_response(request)


def depth(value):
    """How deeply `value` (parsed JSON) nests: 0 for a scalar, 1 for a flat list or object."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            stack.extend((child, level + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, level + 1) for child in item)
        else:
            continue
        deepest = max(deepest, level + 1)
    return deepest


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser, refusing a body nested deeper than `API_JSON_MAX_DEPTH` levels."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise self._too_deep() from error
        except ParseError as error:
            if isinstance(error.__cause__, RecursionError):
                raise self._too_deep() from error
            raise
        if depth(data) > settings.API_JSON_MAX_DEPTH:
            raise self._too_deep()
        return data

    @staticmethod
    def _too_deep():
        return ParseError(
            _("The JSON body nests deeper than %(depth)s levels.")
            % {"depth": settings.API_JSON_MAX_DEPTH},
            code="too_deep",
        )
