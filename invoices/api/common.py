"""What the billing API's resources share: a refusal about an object's state answered
409, and an id in the input that must name one of the company's objects."""

from contextlib import contextmanager

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, serializers, status


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


# A service's refusal that is about the object's state, not the request's content: 409.
STATE_CODES = {"issued": "not_a_draft", "already_reversed": "already_reversed"}


@contextmanager
def state_conflicts():
    try:
        yield
    except DjangoValidationError as error:
        code = STATE_CODES.get(getattr(error, "code", None))
        if code is None:
            raise
        raise Conflict(" ".join(error.messages), code=code) from error


def one_of(model, pk, message):
    """The company's object with this id (another company's is out of scope), else 400."""
    if pk is None:
        return None
    found = model.objects.filter(pk=pk).first()
    if found is None:
        raise serializers.ValidationError(message)
    return found
