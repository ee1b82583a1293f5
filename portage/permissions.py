"""Roles, what each may do, and the helper every view uses to check it.

A user holds one role per tenant (`Membership.role`). Another tenant's objects are not a
matter of permission: they are out of scope and answer 404.
"""

from enum import StrEnum
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.db import models
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CONSULTANT = "consultant", _("Consultant")
    COLLECTOR = "collector", _("Collector")
    ADMIN = "admin", _("Administrator")
    ACCOUNTANT = "accountant", _("Accountant")


# Roles that must sign in with a second factor (TOTP).
MFA_ROLES = frozenset({Role.ADMIN, Role.COLLECTOR})


class Perm(StrEnum):
    VIEW_DASHBOARD = "dashboard.view"
    VIEW_COMPANY = "company.view"
    MANAGE_COMPANY = "company.manage"
    VIEW_TEAM = "team.view"
    MANAGE_TEAM = "team.manage"
    VIEW_AUDIT = "audit.view"
    VIEW_CONSULTANTS = "consultants.view"
    MANAGE_CONSULTANTS = "consultants.manage"
    VIEW_CLIENTS = "clients.view"
    MANAGE_CLIENTS = "clients.manage"
    VIEW_INVOICES = "invoices.view"
    MANAGE_INVOICES = "invoices.manage"
    RECORD_PAYMENTS = "payments.record"
    IMPORT_BANK = "bank.import"
    VIEW_COLLECTIONS = "collections.view"
    MANAGE_COLLECTIONS = "collections.manage"
    MANAGE_DUNNING_POLICY = "dunning_policy.manage"
    # A consultant's own invoices and pay, in the portal.
    PORTAL = "portal.view"


_READ = {
    Perm.VIEW_DASHBOARD,
    Perm.VIEW_COMPANY,
    Perm.VIEW_TEAM,
    Perm.VIEW_AUDIT,
    Perm.VIEW_CONSULTANTS,
    Perm.VIEW_CLIENTS,
    Perm.VIEW_INVOICES,
    Perm.VIEW_COLLECTIONS,
}

ROLE_PERMISSIONS = {
    Role.CONSULTANT: frozenset({Perm.VIEW_DASHBOARD, Perm.PORTAL}),
    Role.COLLECTOR: frozenset(
        {
            Perm.VIEW_DASHBOARD,
            Perm.VIEW_COMPANY,
            Perm.VIEW_CONSULTANTS,
            Perm.VIEW_CLIENTS,
            Perm.MANAGE_CLIENTS,
            Perm.VIEW_INVOICES,
            Perm.MANAGE_INVOICES,
            Perm.RECORD_PAYMENTS,
            Perm.IMPORT_BANK,
            Perm.VIEW_COLLECTIONS,
            Perm.MANAGE_COLLECTIONS,
        }
    ),
    # The accountant reads everything and changes nothing.
    Role.ACCOUNTANT: frozenset(_READ),
    Role.ADMIN: frozenset(Perm) - {Perm.PORTAL},
}


def _to_login(request):
    from django.contrib.auth.views import redirect_to_login

    return redirect_to_login(request.get_full_path())


def has_perm(membership, perm):
    return (
        membership is not None
        and membership.is_active
        and perm in ROLE_PERMISSIONS[Role(membership.role)]
    )


def permission_required(perm):
    """View decorator: signed in, a member of the active tenant, and a role granting `perm`."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return _to_login(request)
            if request.membership is None:
                return redirect("no_company")
            if not has_perm(request.membership, perm):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.required_permission = perm
        return wrapped

    return decorator


def signed_in(view):
    """View decorator for pages any signed-in user may open, with or without a tenant."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return _to_login(request)
        return view(request, *args, **kwargs)

    wrapped.required_permission = "signed_in"
    return wrapped


def public(view):
    """Mark a view as open to anyone, on purpose (health checks)."""
    view.required_permission = "public"
    return view
