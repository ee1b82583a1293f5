"""Writes of the platform core: the audit log, tenants and their members."""

import logging
import smtplib

from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models.fields.files import FieldFile
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from portage.models import AuditEntry, Membership, Tenant, User
from portage.permissions import Role
from portage.tenancy import tenant_context

logger = logging.getLogger(__name__)


def audit_record(*, tenant, actor, action, obj, before=None, after=None, actor_label=None):
    """Append one line to the tenant's audit log.

    `actor` is the user who acted, or None for the platform itself (a batch, a task), in
    which case `actor_label` says which. `before` and `after` hold the fields that changed.
    """
    return AuditEntry.objects.create(
        tenant=tenant,
        actor=actor,
        actor_label=actor_label or (actor.get_full_name() if actor else _("Platform")),
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        before=before,
        after=after,
    )


def audit_record_many(*, tenant, actor, action, entries, actor_label=None):
    """The same action on many objects, in one INSERT (a daily batch's thousands of rows):
    `entries` are (object, after) pairs, written as `audit_record` writes each."""
    label = actor_label or (actor.get_full_name() if actor else _("Platform"))
    return AuditEntry.objects.bulk_create(
        AuditEntry(
            tenant=tenant,
            actor=actor,
            actor_label=label,
            action=action,
            object_type=obj._meta.label_lower,
            object_id=str(obj.pk),
            object_repr=str(obj)[:200],
            after=after,
        )
        for obj, after in entries
    )


def snapshot(obj, fields):
    """The values of `fields` on `obj`, as the audit log stores them (files by name)."""
    values = {}
    for name in fields:
        value = getattr(obj, name)
        values[name] = value.name if isinstance(value, FieldFile) else value
    return values


def audit_diff(before, after):
    """The fields of `after` whose value is not the one in `before` (a field `before` lacks
    counts as changed from None), as the (before, after) pair `audit_record` takes: both
    empty when nothing changed."""
    changed = [name for name in after if before.get(name) != after[name]]
    return {name: before.get(name) for name in changed}, {name: after[name] for name in changed}


@transaction.atomic
def tenant_create(*, by, admin_email, admin_name, **identity):
    """Register a portage company and invite its first administrator (all or nothing)."""
    tenant = Tenant(**identity)
    tenant.full_clean()
    tenant.save()
    with tenant_context(tenant):
        audit_record(
            tenant=tenant,
            actor=by,
            action="tenant.created",
            obj=tenant,
            after=snapshot(tenant, ["slug", "legal_name", "siren"]),
        )
        member_invite(
            tenant=tenant, email=admin_email, full_name=admin_name, role=Role.ADMIN, by=by
        )
    return tenant


# Checks the apps above add to a change of the company, each `check(*, tenant, before,
# changes)` raising a ValidationError that names the field (e.g. collections: a contract
# rate of late penalties under its legal floor). Registered in the apps' `ready`.
TENANT_CHECKS = []


def tenant_check(check):
    TENANT_CHECKS.append(check)
    return check


def tenant_update(*, tenant, by, **changes):
    """Change the company's identity (printed on invoices and letters); audited field by field.

    What it was comes from the database, locked, not from `tenant`, which a form may
    already have changed in memory.
    """
    with transaction.atomic():
        stored = Tenant.objects.select_for_update().get(pk=tenant.pk)
        before = snapshot(stored, changes)
        for name, value in changes.items():
            setattr(tenant, name, value)
        tenant.full_clean()
        for check in TENANT_CHECKS:
            check(tenant=tenant, before=before, changes=changes)
        tenant.save()
        old, new = audit_diff(before, snapshot(tenant, changes))
        if new:
            audit_record(
                tenant=tenant, actor=by, action="tenant.updated", obj=tenant, before=old, after=new
            )
    return tenant


@transaction.atomic
def member_invite(*, tenant, email, full_name, role, by):
    """Give a person a role in the tenant and email them a link to sign in.

    A new user gets a link to choose a password; someone already on the platform (in another
    company) keeps their password and is told of the new access. The email is sent before
    the transaction ends: if it cannot be sent, nothing is saved and the caller is told.
    """
    email = email.strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    is_new_user = user is None
    if is_new_user:
        user = User.objects.create_user(email, password=None, full_name=full_name)
        EmailAddress.objects.create(user=user, email=email, primary=True, verified=False)
    elif Membership.objects.filter(tenant=tenant, user=user).exists():
        raise ValidationError(
            _("%(email)s is already a member of this company."),
            params={"email": email},
            code="already_member",
        )
    membership = Membership.objects.create(tenant=tenant, user=user, role=role)
    audit_record(
        tenant=tenant,
        actor=by,
        action="membership.created",
        obj=membership,
        after={"email": email, "role": role},
    )
    try:
        _send_invitation(membership=membership, inviter=by, set_password=is_new_user)
    except (smtplib.SMTPException, OSError) as error:
        logger.warning("Invitation to %s not sent: %r", email, error)
        raise ValidationError(
            _("The invitation email could not be sent, so nothing was saved. Try again later."),
            code="email_failed",
        ) from error
    return membership


def _send_invitation(*, membership, inviter, set_password):
    user = membership.user
    if set_password:
        path = reverse(
            "account_reset_password_from_key",
            kwargs={
                "uidb36": user_pk_to_url_str(user),
                "key": default_token_generator.make_token(user),
            },
        )
    else:
        path = reverse("account_login")
    context = {
        "membership": membership,
        "tenant": membership.tenant,
        "inviter": inviter,
        "url": settings.SITE_URL.rstrip("/") + path,
        "set_password": set_password,
    }
    send_mail(
        subject=render_to_string("portage/email/invitation_subject.txt", context).strip(),
        message=render_to_string("portage/email/invitation_message.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )


def email_verified_by_password_reset(*, user):
    """A password set from an emailed link proves the address: mark it verified, so that an
    invited member is not asked to verify it again at their first sign-in."""
    EmailAddress.objects.filter(user=user, email__iexact=user.email).update(verified=True)


def _lock_active_admins(tenant):
    return list(
        Membership.objects.select_for_update()
        .filter(tenant=tenant, role=Role.ADMIN, is_active=True)
        .values_list("pk", flat=True)
    )


def _keep_an_admin(membership, *, role, is_active):
    if membership.role != Role.ADMIN or not membership.is_active:
        return
    if role == Role.ADMIN and is_active:
        return
    if set(_lock_active_admins(membership.tenant)) <= {membership.pk}:
        raise ValidationError(
            _("The company must keep at least one active administrator."), code="last_admin"
        )


def _membership_change(*, membership, by, action, role=None, is_active=None):
    """Change role and/or access (None keeps the stored value), checked and audited."""
    with transaction.atomic():
        stored = Membership.objects.select_for_update().get(pk=membership.pk)
        role = stored.role if role is None else role
        is_active = stored.is_active if is_active is None else is_active
        _keep_an_admin(stored, role=role, is_active=is_active)
        before = snapshot(stored, ["role", "is_active"])
        stored.role = role
        stored.is_active = is_active
        stored.save(update_fields=["role", "is_active"])
        old, new = audit_diff(before, snapshot(stored, ["role", "is_active"]))
        if new:
            audit_record(
                tenant=stored.tenant, actor=by, action=action, obj=stored, before=old, after=new
            )
    return stored


def membership_change_role(*, membership, role, by):
    return _membership_change(
        membership=membership, by=by, action="membership.role_changed", role=role
    )


def membership_deactivate(*, membership, by):
    """Withdraw a member's access to this company; nothing they did is deleted."""
    return _membership_change(
        membership=membership, by=by, action="membership.deactivated", is_active=False
    )


def membership_reactivate(*, membership, by):
    return _membership_change(
        membership=membership, by=by, action="membership.reactivated", is_active=True
    )
