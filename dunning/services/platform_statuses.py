"""What the buyer says through the e-invoicing platform steers the ladder.

- 210 Refusée and 207 En litige: the buyer refuses or disputes the invoice: a dispute opens
  with the buyer's reason, until a collector resolves it or a credit note cancels the invoice;
- 208 Suspendue: the buyer waits for something from us (a missing purchase order, a
  document): the case pauses until the buyer approves or takes it up again (204, 205, 206);
  209 Complétée, our answer, leaves it to the buyer;
- 211 Paiement transmis: the buyer says it paid: the next client-facing step waits the
  company's hold (a few days), as a promise to pay would, for the money to arrive.
"""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from dunning.models import Pause
from dunning.services.cases import pause_create, pause_end
from einvoicing.selectors import platform_account
from invoices.models import Invoice

DISPUTES = ("210", "207")
SUSPENSION = "208"
TAKEN_UP = ("204", "205", "206")
PAYMENT_TRANSMITTED = "211"


def _open(invoice):
    return (
        invoice.kind == Invoice.Kind.INVOICE
        and not invoice.is_draft
        and invoice.status in (Invoice.Status.ISSUED, Invoice.Status.PARTIALLY_PAID)
    )


def _reason(status):
    reason = " — ".join(part for part in (status.reason_code, status.reason_text) if part)
    text = _("%(code)s %(label)s by the buyer") % {"code": status.code, "label": status.label}
    return f"{text} : {reason}" if reason else text


def _open_pauses(invoice, kind):
    return Pause.objects.filter(case__invoice=invoice, kind=kind, ended_on__isnull=True)


def on_status_received(sender, invoice, status, **kwargs):
    """Pauses, disputes or holds the invoice's case as the buyer's status says."""
    if status.sender != "buyer" or not _open(invoice):
        return
    day = timezone.localtime(status.issued_at).date()
    tenant = invoice.tenant
    if status.code in DISPUTES:
        if not _open_pauses(invoice, Pause.Kind.DISPUTE).filter(reason=_reason(status)).exists():
            pause_create(
                tenant=tenant,
                invoice=invoice,
                actor=None,
                kind=Pause.Kind.DISPUTE,
                today=day,
                reason=_reason(status)[:300],
            )
    elif status.code == SUSPENSION:
        if not _open_pauses(invoice, Pause.Kind.SUSPENDED).exists():
            pause_create(
                tenant=tenant,
                invoice=invoice,
                actor=None,
                kind=Pause.Kind.SUSPENDED,
                today=day,
                reason=_reason(status)[:300],
            )
    elif status.code in TAKEN_UP:
        for pause in _open_pauses(invoice, Pause.Kind.SUSPENDED):
            pause_end(
                tenant=tenant,
                pause=pause,
                actor=None,
                today=day,
                reason=_("%(code)s %(label)s by the buyer")
                % {"code": status.code, "label": status.label},
            )
    elif status.code == PAYMENT_TRANSMITTED:
        account = platform_account()
        hold = account.payment_hold_days if account else 5
        pause_create(
            tenant=tenant,
            invoice=invoice,
            actor=None,
            kind=Pause.Kind.PROMISE,
            today=day,
            until=day + timedelta(days=hold),
            reason=_reason(status)[:300],
        )
