"""The consultant's prospect check: a question to the collections team (or the insurer)
about a company that is not yet a client."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from insurance.models import ProspectCheck
from portage.services import audit_record
from portage.validators import compact_siren, validate_siren


@transaction.atomic
def prospect_ask(*, tenant, actor, siren, name, amount, note=""):
    siren = compact_siren(siren)
    try:
        validate_siren(siren)
    except ValidationError as error:
        raise ValidationError({"siren": error.messages}) from None
    if amount is None or amount <= 0:
        raise ValidationError({"amount": _("Give the amount you expect to bill.")})
    check = ProspectCheck.objects.create(
        tenant=tenant,
        siren=siren,
        name=name.strip(),
        amount=amount,
        note=note.strip(),
        asked_by=actor,
    )
    audit_record(
        tenant=tenant,
        actor=actor,
        action="insurance.prospect_asked",
        obj=check,
        after={"siren": siren, "name": check.name, "amount": str(amount)},
    )
    return check


@transaction.atomic
def prospect_answer(*, check, actor, status, granted_amount=None, note=""):
    check = ProspectCheck.objects.select_for_update().get(pk=check.pk)
    if check.status != ProspectCheck.Status.ASKED:
        raise ValidationError(_("This question has already been answered."))
    if status == ProspectCheck.Status.REFUSED:
        granted_amount = Decimal("0")
    elif not granted_amount or granted_amount <= 0:
        raise ValidationError({"granted_amount": _("Give the amount that can be covered.")})
    if status == ProspectCheck.Status.GRANTED and granted_amount < check.amount:
        status = ProspectCheck.Status.PARTIAL
    check.status = status
    check.granted_amount = granted_amount
    check.answer_note = note.strip()
    check.answered_by = actor
    check.answered_at = timezone.now()
    check.save()
    audit_record(
        tenant=check.tenant,
        actor=actor,
        action="insurance.prospect_answered",
        obj=check,
        after={"status": check.get_status_display(), "amount": str(granted_amount)},
    )
    return check
