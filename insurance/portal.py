"""What credit insurance tells the consultant's portal about their invoices."""

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from insurance.models import Claim, ClaimInvoice, Declaration
from portage.batch import paris_today


def portal_insurance(sender, invoices, today=None, **kwargs):
    """Sets `insurance_status` on each invoice: where the insurer stands on it, in words
    (declared, claimed, indemnified, rejected, not declared in time) on `today`, or ""
    when the insurer was never involved (answers `consultants.signals.portal_invoices`),
    in two queries."""
    today = today or paris_today()
    pks = [invoice.pk for invoice in invoices]
    declarations = {
        declaration.invoice_id: declaration
        for declaration in Declaration.objects.filter(invoice__in=pks)
    }
    claims = {
        line.invoice_id: line.claim
        for line in ClaimInvoice.objects.filter(invoice__in=pks).select_related("claim")
    }
    for invoice in invoices:
        invoice.insurance_status = insurance_status(
            claims.get(invoice.pk), declarations.get(invoice.pk), today=today
        )


def _day(value):
    return date_format(value, "DATE_FORMAT") if value else ""


def insurance_status(claim, declaration, *, today):
    """The consultant reads what the collector's pages say (`declarations_cover_lost`): a
    declaration not made by its deadline has lost the cover, whether the batch marked it
    late or it still waits to be sent."""
    if claim is not None:
        if claim.state in (Claim.State.INDEMNIFIED, Claim.State.PARTIAL):
            return _("Indemnified by the credit insurer on %(day)s.") % {
                "day": _day(claim.indemnified_on)
            }
        if claim.state in (Claim.State.FILED, Claim.State.ACKNOWLEDGED):
            return _("Claimed from the credit insurer on %(day)s; waiting for its indemnity.") % {
                "day": _day(claim.filed_on or claim.opened_on)
            }
        if claim.state == Claim.State.TO_FILE:
            return _("A claim is being filed with the credit insurer.")
        if claim.state == Claim.State.REJECTED:
            return _("The credit insurer rejected the claim.")
        return _("The claim with the credit insurer is closed.")
    if declaration is None:
        return ""
    if declaration.status == Declaration.Status.SENT:
        return _("Declared overdue to the credit insurer on %(day)s.") % {
            "day": _day(declaration.declared_on)
        }
    if declaration.status == Declaration.Status.LATE or declaration.deadline < today:
        return _("Not declared to the credit insurer in time: the insurer may not cover it.")
    return _("Being declared overdue to the credit insurer.")
