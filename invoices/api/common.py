"""What the billing API's resources share: a refusal about an object's state answered
409 (`portage.api.base.Conflict`), and an id in the input that must name one of the
company's objects."""

from portage.api.base import Conflict, rule_broken

__all__ = ["Conflict", "one_of"]


def one_of(model, pk, message):
    """The company's object with this id (another company's is out of scope), else a 422:
    the schema says an id is a whole number, not which objects the company holds."""
    if pk is None:
        return None
    found = model.objects.filter(pk=pk).first()
    if found is None:
        raise rule_broken(message)
    return found
