"""Reads of the platform core."""

from allauth.mfa.models import Authenticator
from django.utils.translation import gettext_lazy as _

from portage.models import AuditEntry, Membership
from portage.permissions import MFA_ROLES, Role
from portage.tenancy import platform_access


def memberships_of(*, user):
    """The user's active memberships in active tenants, to choose where they work.

    Read with the ORM lock lifted, inside `user_context`: the membership policy lets a
    user see their own rows in every tenant, and nobody else's.
    """
    with platform_access():
        return list(
            Membership.objects.filter(user=user, is_active=True, tenant__is_active=True)
            .select_related("tenant")
            .order_by("tenant__legal_name")
        )


def needs_mfa_setup(*, user, memberships):
    """Whether the user's roles call for TOTP and they have not set it up yet."""
    required = user.is_staff or any(m.role in MFA_ROLES for m in memberships)
    if not required:
        return False
    return not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def tenant_members(*, tenant):
    return list(
        Membership.objects.filter(tenant=tenant)
        .select_related("user")
        .order_by("-is_active", "user__full_name", "user__email")
    )


def audit_log(*, tenant):
    return AuditEntry.objects.filter(tenant=tenant).select_related("actor")


def setup_checklist(*, tenant, user):
    """What an admin completes before the company's first invoice and letter."""
    has_collector = Membership.objects.filter(
        tenant=tenant, role=Role.COLLECTOR, is_active=True
    ).exists()
    return [
        {
            "label": _("Company identity: SIREN, VAT number, address"),
            "done": bool(tenant.siren and tenant.vat_number and tenant.address_line1),
            "url_name": "company_edit",
        },
        {
            "label": _("Bank details printed on invoices: IBAN and BIC"),
            "done": bool(tenant.iban and tenant.bic),
            "url_name": "company_edit",
        },
        {
            "label": _("Logo for invoices and letters"),
            "done": bool(tenant.logo),
            "url_name": "company_edit",
        },
        {
            "label": _("A collector to run collections"),
            "done": has_collector,
            "url_name": "member_invite",
        },
    ]
