"""Readable names of audit log actions. Each app registers its own in `AppConfig.ready`."""

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
