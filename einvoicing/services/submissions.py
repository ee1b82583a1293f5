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
"""

import logging

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from einvoicing import tasks
from einvoicing.connectors.base import InvoiceFlow, Refused, TemporaryFailure
from einvoicing.models import Submission
from einvoicing.selectors import (
    deposit_state_from_statuses,
    goes_through_platform,
    in_scope,
    platform_account,
)
from einvoicing.services import directory
from einvoicing.services.platform import connector_of, uses_api
from invoices.facturx import FacturxError, facturx_xml
from invoices.pdf import facturx_document, invoice_pdf_ensure
from invoices.schematron import DocumentRefused, check_document
from portage.services import audit_record

logger = logging.getLogger(__name__)

# The keys of the buyer's electronic address (BT-49) in an invoice's frozen buyer.
ADDRESS = "einvoicing_address"
ADDRESS_SCHEME = "einvoicing_scheme"


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
    tasks.send_submission_task.delay_on_commit(
        tenant_id=submission.tenant_id, submission_pk=submission.pk
    )


def submission_prepare(submission_pk):
    """Renders the invoice's PDF, once and committed on its own, before the deposit is sent:
    a PDF drawn again would not be the same bytes, and a platform refuses a flow sent again
    under its tracking id with another file. A deposit whose commit never happened after the
    platform answered is thus sent again identical, and taken as the first."""
    submission = Submission.objects.select_related("invoice").get(pk=submission_pk)
    if submission.state == Submission.State.TO_SEND:
        invoice_pdf_ensure(invoice=submission.invoice)


@transaction.atomic
def submission_send(submission_pk, *, connector=None, final=False, today=None):
    """Deposits the invoice with the platform; returns the submission.

    Not sent, and kept "to fix" with the reason: a buyer with no directory entry, or a
    document that breaks a rule of the official schematrons (named). A refusal by the
    platform, or the last temporary failure, is kept as "failed" with its reason."""
    submission = (
        Submission.objects.select_for_update(of=("self",))
        .select_related("invoice__client", "tenant")
        .get(pk=submission_pk)
    )
    if submission.state != Submission.State.TO_SEND:
        return submission
    account = platform_account()
    connector = connector or connector_of(account)
    invoice = submission.invoice
    client = invoice.client
    try:
        if not client.einvoicing_address:
            if client.directory_checked_on is None and uses_api(account):
                client = directory.directory_check(client=client, connector=connector, today=today)
            if not client.einvoicing_address:
                return _block(
                    submission,
                    _(
                        "%(client)s (SIREN %(siren)s) has no entry in the e-invoicing "
                        "directory: check the directory from the client's page, then send again."
                    )
                    % {"client": client.legal_name, "siren": client.siren},
                )
        filename, content, syntax = _document(invoice, client)
    except DocumentRefused as refusal:
        return _block(
            submission,
            _("The platform would reject this document: %(rules)s")
            % {"rules": "; ".join(str(failure) for failure in refusal.failures)},
            rules=[{"rule": f.rule, "text": f.text} for f in refusal.failures],
        )
    except FacturxError as error:
        return _block(submission, str(error))
    except Refused as refusal:
        return _block(
            submission,
            _("The directory refused the look-up: %(reason)s") % {"reason": refusal},
        )
    except TemporaryFailure as failure:
        return _failed_or_retry(submission, failure, final)
    if syntax == "CII":
        submission.document.save(
            f"{submission.tenant_id}/{filename}", ContentFile(content), save=False
        )
    submission.syntax = syntax
    submission.attempts += 1
    flow = InvoiceFlow(
        reference=submission.reference,
        invoice_number=invoice.number,
        issue_date=invoice.issue_date,
        seller_siren=invoice.seller.get("siren", ""),
        buyer_siren=client.siren,
        buyer_address=client.einvoicing_address,
        filename=filename,
        content=content,
        syntax=syntax,
    )
    try:
        receipt = connector.submit_invoice(flow)
    except Refused as refusal:
        submission.state = Submission.State.FAILED
        submission.last_error = _("Refused by the platform: %(reason)s") % {"reason": refusal}
        submission.save()
        return submission
    except TemporaryFailure as failure:
        return _failed_or_retry(submission, failure, final)
    if receipt.status == "to_upload":
        submission.state = Submission.State.TO_UPLOAD
    else:
        # Its 200 (or 213) may have come before, while an earlier answer was lost.
        submission.state = deposit_state_from_statuses(invoice) or Submission.State.SENT
        submission.sent_at = receipt.received_at or timezone.now()
    submission.flow_id = receipt.flow_id
    submission.last_error = ""
    submission.blocked_reason = ""
    submission.failed_rules = []
    submission.save()
    audit_record(
        tenant=submission.tenant,
        actor=None,
        actor_label=_("E-invoicing platform"),
        action="einvoicing.submitted",
        obj=submission,
        after={"invoice": invoice.number, "flow": receipt.flow_id, "state": submission.state},
    )
    return submission


def _document(invoice, client):
    """(filename, bytes, syntax) of what is deposited: the invoice's Factur-X PDF, as
    rendered once at issue, checked against both schematrons first. A buyer whose directory
    entry was found (or changed) after the issue gets the CII XML alone with the address the
    directory gives: the invoice's PDF is never rendered again."""
    document = facturx_document(invoice)
    if invoice.buyer.get(ADDRESS) == client.einvoicing_address:
        xml = facturx_xml(document)
        check_document(xml)
        stored = invoice_pdf_ensure(invoice=invoice)
        with stored.pdf.open("rb") as pdf:
            return f"{invoice.number}.pdf", pdf.read(), "Factur-X"
    document["buyer"] = {
        **document["buyer"],
        ADDRESS: client.einvoicing_address,
        ADDRESS_SCHEME: client.einvoicing_scheme,
    }
    xml = facturx_xml(document)
    check_document(xml)
    return f"{invoice.number}.xml", xml, "CII"


def _block(submission, reason, *, rules=()):
    submission.state = Submission.State.BLOCKED
    submission.blocked_reason = reason
    submission.failed_rules = list(rules)
    submission.save()
    return submission


def _failed_or_retry(submission, failure, final):
    if not final:
        raise failure
    submission.state = Submission.State.FAILED
    submission.last_error = _("Platform unreachable: %(error)s") % {"error": failure}
    submission.save()
    return submission


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
