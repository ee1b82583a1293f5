"""Writes for consultants and their activity account (compte d'activité)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from consultants.models import Consultant, LedgerEntry
from portage.models import Membership, User
from portage.money import to_cents
from portage.permissions import Role
from portage.services import audit_record, member_invite


@transaction.atomic
def consultant_create(*, tenant, email, full_name, fee_rate, start_date, by):
    """Add a consultant: invite the person with the consultant role if they are not a member
    yet, and open their profile and activity account."""
    user = User.objects.filter(email__iexact=email.strip()).first()
    membership = Membership.objects.filter(tenant=tenant, user=user).first() if user else None
    if membership is None:
        membership = member_invite(
            tenant=tenant, email=email, full_name=full_name, role=Role.CONSULTANT, by=by
        )
    elif membership.role != Role.CONSULTANT:
        raise ValidationError(
            _("%(email)s is a member of this company with another role."),
            params={"email": email},
            code="not_a_consultant",
        )
    consultant = Consultant(
        tenant=tenant, user=membership.user, fee_rate=fee_rate, start_date=start_date
    )
    if Consultant.objects.filter(tenant=tenant, user=membership.user).exists():
        raise ValidationError(
            _("%(email)s already has a consultant profile."),
            params={"email": email},
            code="exists",
        )
    consultant.full_clean()
    consultant.save()
    audit_record(
        tenant=tenant,
        actor=by,
        action="consultant.created",
        obj=consultant,
        after={"email": membership.user.email, "fee_rate": consultant.fee_rate},
    )
    return consultant


@transaction.atomic
def consultant_update(*, consultant, by, fee_rate, status):
    """Change the fee rate (for invoices issued from now on) or the status."""
    stored = Consultant.objects.select_for_update().get(pk=consultant.pk)
    before = {"fee_rate": stored.fee_rate, "status": stored.status}
    stored.fee_rate = fee_rate
    stored.status = status
    stored.full_clean()
    stored.save(update_fields=["fee_rate", "status"])
    after = {"fee_rate": stored.fee_rate, "status": stored.status}
    if after != before:
        audit_record(
            tenant=stored.tenant,
            actor=by,
            action="consultant.updated",
            obj=stored,
            before=before,
            after=after,
        )
    return stored


def ledger_post(*, consultant, kind, amount, booked_on, label, invoice=None, reason="", by=None):
    """Append an entry to the consultant's activity account; nothing for a zero amount."""
    amount = to_cents(amount)
    if not amount:
        return None
    return LedgerEntry.objects.create(
        tenant=consultant.tenant,
        consultant=consultant,
        kind=kind,
        amount=amount,
        booked_on=booked_on,
        label=label[:200],
        reason=reason,
        invoice_pk=invoice.pk if invoice else None,
        reference=invoice.number if invoice else "",
        created_by=by,
    )


PAY_OUT_KINDS = (LedgerEntry.Kind.SALARY_PAID, LedgerEntry.Kind.ADVANCE)


@transaction.atomic
def pay_out_record(*, consultant, kind, amount, booked_on, label, by):
    """Record money paid to the consultant (salary or advance): it leaves the account."""
    if kind not in PAY_OUT_KINDS:
        raise ValidationError(_("Only a salary or an advance is paid out."))
    if to_cents(amount) <= 0:
        raise ValidationError(_("The amount paid out must be positive."))
    entry = ledger_post(
        consultant=consultant, kind=kind, amount=-amount, booked_on=booked_on, label=label, by=by
    )
    audit_record(
        tenant=consultant.tenant,
        actor=by,
        action="ledger.pay_out",
        obj=consultant,
        after={"kind": kind, "amount": entry.amount, "date": booked_on},
    )
    return entry


@transaction.atomic
def ledger_adjust(*, consultant, amount, booked_on, reason, by):
    """Correct the account by an entry of its own, with its reason (entries never change)."""
    if not reason.strip():
        raise ValidationError(_("An adjustment states its reason."))
    entry = ledger_post(
        consultant=consultant,
        kind=LedgerEntry.Kind.ADJUSTMENT,
        amount=amount,
        booked_on=booked_on,
        label=_("Adjustment"),
        reason=reason,
        by=by,
    )
    if entry is None:
        raise ValidationError(_("An adjustment of zero changes nothing."))
    audit_record(
        tenant=consultant.tenant,
        actor=by,
        action="ledger.adjusted",
        obj=consultant,
        after={"amount": entry.amount, "reason": reason},
    )
    return entry
