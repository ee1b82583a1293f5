"""Readable names of audit log actions. Each app registers its own in `AppConfig.ready`."""

import re
from collections import defaultdict

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    "tenant.created": _("Company registered"),
    "tenant.updated": _("Company identity changed"),
    "membership.created": _("Member invited"),
    "membership.role_changed": _("Role changed"),
    "membership.deactivated": _("Access withdrawn"),
    "membership.reactivated": _("Access restored"),
    "api_key.created": _("API key created"),
    "api_key.revoked": _("API key revoked"),
}


def register_actions(labels):
    ACTION_LABELS.update(labels)


def action_label(code):
    return ACTION_LABELS.get(code, code)


# How an entry names its object and its fields to a person.

DEFAULT_REPR = re.compile(r".+ object \(.+\)")


def _model(object_type):
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def object_kind(object_type):
    """ "Facture", "Sinistre", "Action de relance": the model's own name for its objects."""
    model = _model(object_type)
    return capfirst(model._meta.verbose_name) if model else object_type


def field_label(object_type, name):
    """A recorded field by its label on the model ("Date d'échéance" for `due_date`); a
    value that is no field of the model (an amount, a reason) by its name, in words."""
    model = _model(object_type)
    if model is not None:
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            field = None
        # A reverse relation (a payment's "allocations") has no label of its own.
        if getattr(field, "verbose_name", None):
            return capfirst(field.verbose_name)
    return capfirst(gettext(name.replace("_", " ")))


def name_objects(entries):
    """Sets each entry's `object_label`, "<kind> — <object>" ("Facture — FA-2026-000005").
    An object recorded under Django's default name ("Action object (19)") is named as it
    names itself now, when it still exists: one query per kind of object."""
    unnamed = defaultdict(set)
    for entry in entries:
        if DEFAULT_REPR.fullmatch(entry.object_repr):
            unnamed[entry.object_type].add(entry.object_id)
    names = {}
    for object_type, ids in unnamed.items():
        model = _model(object_type)
        if model is None:
            continue
        for pk, obj in model._default_manager.in_bulk(list(ids)).items():
            names[(object_type, str(pk))] = str(obj)
    for entry in entries:
        name = names.get((entry.object_type, entry.object_id), entry.object_repr)
        entry.object_label = f"{object_kind(entry.object_type)} — {name}"
    return entries
