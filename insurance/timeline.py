"""What credit insurance adds to the collections pages, as receivers of the signals in
`dunning.signals` (and `invoices.signals.client_panels`): each invoice's cover, the
insurance events of a client's timeline, and the client's insurance panel."""

from django.urls import NoReverseMatch, reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from dunning.selectors import Event
from insurance import selectors
from insurance.models import Claim, ClaimInvoice, Cover, Declaration
from portage.batch import paris_today
from portage.templatetags.portage import euros


def annotate_covers(sender, invoices, **kwargs):
    """Sets `invoice.cover` (its Cover, or None) on each invoice, in two queries; a cover
    whose overdue declaration was not made by its deadline (`declarations_cover_lost`, as
    the declarations page counts it) carries that deadline as `cover.lost_deadline`, for
    the badge to say the cover is lost rather than granted."""
    pks = [invoice.pk for invoice in invoices]
    covers = {cover.invoice_id: cover for cover in Cover.objects.filter(invoice__in=pks)}
    lost = dict(
        selectors.declarations_cover_lost(today=paris_today())
        .filter(invoice__in=list(covers))
        .values_list("invoice_id", "deadline")
    )
    for invoice in invoices:
        invoice.cover = covers.get(invoice.pk)
        if invoice.cover is not None:
            invoice.cover.lost_deadline = lost.get(invoice.pk)


def _url(name, *args):
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def client_events(sender, client, **kwargs):
    """The insurance events of a client's timeline."""
    events = []
    for cover in Cover.objects.filter(
        invoice__client=client, uncovered_amount__gt=0
    ).select_related("invoice"):
        events.append(
            Event(
                day=cover.decided_on,
                kind="insurance",
                title=_("Not covered: %(amount)s of %(invoice)s")
                % {"amount": euros(cover.uncovered_amount), "invoice": cover.invoice.number},
                detail=cover.get_reason_display(),
                tone="warn",
            )
        )
    today = paris_today()
    lost = set(
        selectors.declarations_cover_lost(today=today)
        .filter(invoice__client=client)
        .values_list("pk", flat=True)
    )
    to_declare = set(
        selectors.declarations_to_declare(today=today)
        .filter(invoice__client=client)
        .values_list("pk", flat=True)
    )
    for declaration in Declaration.objects.filter(invoice__client=client).select_related("invoice"):
        number = declaration.invoice.number
        if declaration.pk in lost:
            title = _("Overdue declaration deadline missed — %(invoice)s") % {"invoice": number}
        elif declaration.pk in to_declare:
            title = _("Overdue to declare by %(deadline)s — %(invoice)s") % {
                "deadline": date_format(declaration.deadline, "SHORT_DATE_FORMAT"),
                "invoice": number,
            }
        elif declaration.status == Declaration.Status.SENT:
            title = _("Overdue declared to the insurer — %(invoice)s") % {"invoice": number}
        else:
            title = _("Overdue told to the insurer by its claim — %(invoice)s") % {
                "invoice": number
            }
        events.append(
            Event(
                day=declaration.declared_on or declaration.prepared_on,
                kind="insurance",
                title=title,
                detail=declaration.get_status_display(),
                url=_url("insurance_declaration_list"),
                tone="bad" if declaration.pk in lost else "",
            )
        )
    for claim in Claim.objects.filter(client=client):
        numbers = ", ".join(
            ClaimInvoice.objects.filter(claim=claim).values_list("invoice__number", flat=True)
        )
        events.append(
            Event(
                day=claim.opened_on,
                kind="insurance",
                title=_("Claim opened — the insurer takes over: %(invoices)s")
                % {"invoices": numbers},
                detail=_("Expected indemnity %(amount)s — %(state)s")
                % {"amount": euros(claim.expected_indemnity), "state": claim.get_state_display()},
                url=_url("insurance_claim", claim.pk),
                tone="warn",
                at=claim.created_at,
            )
        )
        if claim.indemnified_on:
            events.append(
                Event(
                    day=claim.indemnified_on,
                    kind="insurance",
                    title=_("Indemnity received: %(amount)s")
                    % {"amount": euros(claim.indemnity_amount)},
                    url=_url("insurance_claim", claim.pk),
                    tone="ok",
                )
            )
    return events


def client_panel(sender, client, day, **kwargs):
    """The client page's insurance panel, for a company that has a policy."""
    from insurance.models import InsurancePolicy
    from insurance.selectors.limits import client_insurance_panel

    if not InsurancePolicy.objects.exists():
        return {}
    return {"insurance": client_insurance_panel(client, day)}
