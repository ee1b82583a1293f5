"""Depositing issued invoices and credit notes with the company's plateforme agréée.

Since 1 September 2026 (CGI art. 289 bis; ordonnance 2021-1190, LF 2026) an invoice between
French companies is issued by depositing it with the seller's platform, which checks it
(EN 16931 and the French BR-FR rules), routes it to the buyer's platform found in the
directory, and answers with lifecycle statuses. Until the platform deposited it (200), and
after it rejected it (213), the invoice was never legally issued: no reminder, no overdue
declaration, no claim is made on it.

Issuing prepares the deposit in the issuing transaction; a worker sends it once that
commits, retried with backoff. The deposit's reference (FX-<number>) is the flow's tracking
id at the platform: a retry after a lost answer, a redelivered task or two workers never
deposit twice. Before anything leaves, the document is run through both official
schematrons: a document a platform would reject is not sent, and says which rule it breaks.

Here the deposit is prepared (on issue) and sent again by hand; the sending itself, what the
task runs, is `einvoicing.services.transmit.submission_send`.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from einvoicing.models import Submission
from einvoicing.selectors import (
    goes_through_platform,
    in_scope,
    platform_account,
)
from einvoicing.tasks import send_submission_task
from portage.services import audit_record


def reference_of(invoice):
    return f"FX-{invoice.number}"


def on_document_issued(sender, invoice, **kwargs):
    """An invoice or credit note to a French company, issued once the company is in scope:
    its deposit is prepared now and sent once the issue commits."""
    account = platform_account()
    if not in_scope(invoice, account) or not goes_through_platform(invoice.client):
        return
    submission = Submission.objects.create(
        tenant=invoice.tenant, invoice=invoice, reference=reference_of(invoice)
    )
    send_after_commit(submission)


def send_after_commit(submission):
    # A deposit whose task is lost stays "to send": the sweep (every few minutes) sends it.
    send_submission_task.delay_on_commit(
        tenant_id=submission.tenant_id, submission_pk=submission.pk
    )


@transaction.atomic
def submission_retry(*, submission, by):
    """Sends again a deposit that was not sent (the client's directory entry found, the
    company's settings completed) or that failed. A document the platform rejected (213) is
    not sent again: it is cancelled by a credit note and a corrected invoice is issued."""
    stored = Submission.objects.select_for_update().get(pk=submission.pk)
    if stored.state not in (Submission.State.BLOCKED, Submission.State.FAILED):
        raise ValidationError(_("Only a deposit not sent or failed can be sent again."))
    stored.state = Submission.State.TO_SEND
    stored.save(update_fields=["state", "updated_at"])
    audit_record(
        tenant=stored.tenant,
        actor=by,
        action="einvoicing.resubmitted",
        obj=stored,
        after={"invoice": stored.invoice.number},
    )
    send_after_commit(stored)
    return stored


@transaction.atomic
def submission_uploaded(*, submission, by, flow_id=""):
    """A person uploaded the document on the platform's portal (manual connector)."""
    stored = Submission.objects.select_for_update().get(pk=submission.pk)
    if stored.state == Submission.State.TO_UPLOAD:
        stored.state = Submission.State.SENT
        stored.flow_id = flow_id.strip()
        stored.sent_at = timezone.now()
        stored.save(update_fields=["state", "flow_id", "sent_at", "updated_at"])
        audit_record(
            tenant=stored.tenant,
            actor=by,
            action="einvoicing.uploaded",
            obj=stored,
            after={"invoice": stored.invoice.number, "flow": stored.flow_id},
        )
    return stored
