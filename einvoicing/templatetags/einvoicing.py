"""The e-invoicing parts of the invoice, client and portal pages, read here so that the
invoices app does not depend on e-invoicing."""

from django import template
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from einvoicing import selectors
from einvoicing.defaults import DEFAULT_SCHEME
from einvoicing.forms import DirectoryEntryForm, StatusEntryForm
from einvoicing.services.platform import uses_api
from einvoicing.views import SUBMISSION_TONES
from portage.batch import paris_today

register = template.Library()

# What each status means to a consultant, in words (the buyer is "the client").
PORTAL_WORDS = {
    "200": gettext_lazy("Deposited on %(date)s"),
    "201": gettext_lazy("Issued by the platform on %(date)s"),
    "202": gettext_lazy("Received by the client's platform on %(date)s"),
    "203": gettext_lazy("Made available to the client on %(date)s"),
    "204": gettext_lazy("Taken in hand by the client on %(date)s"),
    "205": gettext_lazy("Approved by the client on %(date)s"),
    "206": gettext_lazy("Partly approved by the client on %(date)s"),
    "207": gettext_lazy("Disputed by the client on %(date)s"),
    "208": gettext_lazy("Suspended by the client on %(date)s"),
    "209": gettext_lazy("Completed on %(date)s"),
    "210": gettext_lazy("Refused by the client on %(date)s"),
    "211": gettext_lazy("Payment sent by the client on %(date)s"),
    "212": gettext_lazy("Payment collected on %(date)s"),
    "213": gettext_lazy("Rejected by the platform on %(date)s"),
}


def _perm(context, name):
    return bool(context.get("perms_now", {}).get(name))


@register.inclusion_tag("einvoicing/includes/invoice_lifecycle.html", takes_context=True)
def invoice_lifecycle(context, invoice):
    """The invoice's deposit with the platform, its status history, and the form to enter a
    status read on the platform's portal."""
    submission = selectors.submission_of(invoice)
    if submission is not None:
        submission.tone = SUBMISSION_TONES[submission.state]
    return {
        "invoice": invoice,
        "submission": submission,
        "statuses": selectors.status_history(invoice),
        "can_enter": submission is not None and _perm(context, "MANAGE_COLLECTIONS"),
        "form": StatusEntryForm(initial={"issued_on": paris_today()}),
    }


@register.inclusion_tag("einvoicing/includes/client_directory.html", takes_context=True)
def client_directory(context, client):
    """The client's directory entry, with a button to check the directory through the
    platform's API or a form to enter what the directory's site shows."""
    account = selectors.platform_account()
    if account is None or not selectors.goes_through_platform(client):
        return {"shown": False}
    return {
        "shown": True,
        "client": client,
        "can_manage": _perm(context, "MANAGE_CLIENTS"),
        "uses_api": uses_api(account),
        "form": DirectoryEntryForm(
            initial={
                "address": client.einvoicing_address or client.siren,
                "scheme": client.einvoicing_scheme or DEFAULT_SCHEME,
                "platform": client.einvoicing_platform,
                "routing_code": client.einvoicing_routing_code,
            }
        ),
    }


def portal_sentence(status):
    day = formats.date_format(timezone.localtime(status.issued_at).date(), "DATE_FORMAT")
    words = PORTAL_WORDS.get(status.code)
    text = (
        str(words) % {"date": day}
        if words
        else _("%(label)s on %(date)s") % {"label": status.label, "date": day}
    )
    if status.reason_text:
        text = _("%(sentence)s: reason “%(reason)s”") % {
            "sentence": text,
            "reason": status.reason_text,
        }
    return text


@register.inclusion_tag("einvoicing/includes/portal_lifecycle.html")
def portal_lifecycle(invoice):
    """The invoice's platform statuses told to the consultant in plain words, newest first."""
    statuses = selectors.status_history(invoice)
    return {"sentences": [portal_sentence(status) for status in reversed(statuses)]}
