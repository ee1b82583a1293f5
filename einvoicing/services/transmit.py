"""What the e-invoicing tasks send to the platform: a deposit (its PDF rendered first), a
status 212 or its correction, a period's payment e-reporting, and a client's directory
look-up. Each is prepared elsewhere, in the transaction of what it tells
(`submissions`, `reporting`, `directory`), which sends its task after the commit
(`einvoicing.tasks`); the tasks run this module, which imports no task, so the services and
the tasks import each other's names without a circle (as insurance's `batch` → `tasks` →
`transmit`).
"""

from datetime import date
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from einvoicing.connectors.base import (
    InvoiceFlow,
    Refused,
    ReportedPayment,
    StatusEvent,
    StatusMessage,
    TemporaryFailure,
)
from einvoicing.connectors.base import PaymentReport as PaymentReportFlow
from einvoicing.models import CollectionReport, Outgoing, PaymentReport, Submission
from einvoicing.rules import collected_by_rate
from einvoicing.selectors import (
    deposit_state_from_statuses,
    goes_through_platform,
    platform_account,
    vat_shares,
)
from einvoicing.services.platform import connector_of, uses_api
from invoices.facturx import TYPE_CODES, FacturxError, facturx_xml
from invoices.models import Client
from invoices.pdf import facturx_document, invoice_pdf_ensure
from invoices.schematron import DocumentRefused, check_document
from invoices.services.billing import buyer_electronic_address
from portage.batch import paris_today
from portage.services import audit_record

# The directory look-up


FIELDS = [
    "einvoicing_address",
    "einvoicing_scheme",
    "einvoicing_platform",
    "einvoicing_routing_code",
    "directory_checked_on",
]


def directory_check(*, client, connector=None, today=None):
    """Looks the client's SIREN up in the directory through the company's platform and keeps
    the electronic address (BT-49), its scheme, the receiving platform and the routing code,
    with the day checked. A SIREN the directory does not know is kept as checked with no
    address: invoices to it are not sent, and say why. Returns the client.

    Raises TemporaryFailure when the platform does not answer (the task retries) and
    Refused when it refuses the question."""
    account = platform_account()
    if account is None or not goes_through_platform(client):
        return client
    if connector is None and not uses_api(account):
        return client  # the manual directory is entered by hand on the client's page
    entry = (connector or connector_of(account)).directory_lookup(client.siren)
    return _keep(client, entry, today or paris_today())


@transaction.atomic
def _keep(client, entry, today):
    stored = Client.objects.select_for_update().get(pk=client.pk)
    stored.einvoicing_address = entry.address if entry else ""
    stored.einvoicing_scheme = entry.scheme if entry else ""
    stored.einvoicing_platform = entry.platform if entry else ""
    stored.einvoicing_routing_code = entry.routing_code if entry else ""
    stored.directory_checked_on = today
    stored.save(update_fields=FIELDS)
    audit_record(
        tenant=stored.tenant,
        actor=None,
        actor_label=_("E-invoicing directory"),
        action="einvoicing.directory_checked",
        obj=stored,
        after={
            "address": stored.einvoicing_address or _("no entry"),
            "platform": stored.einvoicing_platform,
        },
    )
    return stored


# Deposits


# The keys of the buyer's electronic address (BT-49) in an invoice's frozen buyer.
ADDRESS = "einvoicing_address"


ADDRESS_SCHEME = "einvoicing_scheme"


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
                client = directory_check(client=client, connector=connector, today=today)
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


# Status 212 and the payment e-reporting


COLLECTED = "212"


def amounts_by_rate(report):
    """What the 212 states per VAT rate, ((rate, amount), ...): as kept on the report; else,
    for a 212, the allocation's amount spread over the invoice's rates (net of its credit
    notes) as rules.collected_by_rate spreads it; for a correction, the exact opposite of
    the 212 it corrects, whatever credit note came in between."""
    if report.amounts_by_rate:
        return tuple((Decimal(rate), Decimal(amount)) for rate, amount in report.amounts_by_rate)
    if report.kind == CollectionReport.Kind.CORRECTION:
        original = CollectionReport.objects.get(
            allocation_id=report.allocation_id, kind=CollectionReport.Kind.COLLECTED
        )
        return tuple((rate, -amount) for rate, amount in amounts_by_rate(original))
    return collected_by_rate(report.amount, vat_shares(report.invoice))


def amounts_as_json(split):
    return [[str(rate), str(amount)] for rate, amount in split]


@transaction.atomic
def collection_report_send(report_pk, *, connector=None, final=False):
    """Sends one 212 (or its correction) to the platform; returns the report. A correction
    waits until the 212 it corrects has left."""
    report = (
        CollectionReport.objects.select_for_update(of=("self",))
        .select_related("invoice__client", "tenant")
        .get(pk=report_pk)
    )
    if report.state != Outgoing.TO_SEND:
        return report
    corrected = ""
    if report.kind == CollectionReport.Kind.CORRECTION:
        original = CollectionReport.objects.get(
            allocation_id=report.allocation_id, kind=CollectionReport.Kind.COLLECTED
        )
        if original.state == Outgoing.TO_SEND:
            raise TemporaryFailure(f"{report.reference} waits for {original.reference}")
        corrected = original.reference
    invoice = report.invoice
    submission = invoice.submissions.first()
    if submission.state not in (Submission.State.SENT, Submission.State.DEPOSITED):
        return report  # the invoice is not with the platform yet: the sweep sends it later
    connector = connector or connector_of(platform_account())
    report.attempts += 1
    # A report made before the split was kept is split when it first leaves.
    split = amounts_by_rate(report)
    report.amounts_by_rate = amounts_as_json(split)
    buyer_address, buyer_scheme = buyer_electronic_address(invoice.client)
    message = StatusMessage(
        reference=report.reference,
        invoice_number=invoice.number,
        invoice_issue_date=invoice.issue_date,
        invoice_type_code=TYPE_CODES[invoice.kind],
        seller_siren=invoice.seller.get("siren", ""),
        seller_name=invoice.seller.get("name", ""),
        buyer_siren=invoice.buyer.get("siren", ""),
        buyer_name=invoice.buyer.get("name", ""),
        buyer_address=buyer_address,
        buyer_address_scheme=buyer_scheme,
        code=COLLECTED,
        amount=report.amount,
        amounts_by_rate=split,
        collected_on=report.collected_on,
        # The moment the 212 was made, kept on the report, not this attempt's: an attempt
        # after a lost answer sends the same bytes, which the platform recognises.
        issued_at=report.issued_at,
        currency=invoice.currency,
        corrects=corrected,
    )
    try:
        receipt = connector.send_status(message)
    except Refused as refusal:
        report.state = Outgoing.REJECTED
        report.last_error = _("Refused by the platform: %(reason)s") % {"reason": refusal}
        report.save()
        return report
    except TemporaryFailure as failure:
        if not final:
            raise
        report.state = Outgoing.FAILED
        report.last_error = _("Platform unreachable: %(error)s") % {"error": failure}
        report.save()
        return report
    report.state = Outgoing.TO_UPLOAD if receipt.status == "to_upload" else Outgoing.SENT
    report.flow_id = receipt.flow_id
    report.sent_at = receipt.received_at or timezone.now()
    report.last_error = ""
    report.save()
    if report.state == Outgoing.SENT:
        _in_history(report)
    return report


def _in_history(report):
    """The 212 we sent, in the invoice's status history (once: its reference is its id)."""
    from einvoicing.services.statuses import status_record

    status_record(
        tenant=report.tenant,
        event=StatusEvent(
            event_id=report.reference,
            flow_id="",
            reference=report.invoice.submissions.first().reference,
            invoice_number=report.invoice.number,
            code=COLLECTED,
            issued_at=report.sent_at,
            sender="seller",
            amount=report.amount,
            reason_text=_("Collected on %(day)s") % {"day": f"{report.collected_on:%d/%m/%Y}"}
            if report.kind == CollectionReport.Kind.COLLECTED
            else _("Correction: allocation undone"),
        ),
    )


@transaction.atomic
def payment_report_send(report_pk, *, connector=None, final=False):
    """Sends a period's payment e-reporting, once (its reference is the flow's tracking id)."""
    report = PaymentReport.objects.select_for_update(of=("self",)).get(pk=report_pk)
    if report.state != Outgoing.TO_SEND:
        return report
    connector = connector or connector_of(platform_account())
    report.attempts += 1
    flow = PaymentReportFlow(
        reference=report.reference,
        seller_siren=report.tenant.siren,
        period_start=report.period_start,
        period_end=report.period_end,
        payments=tuple(
            ReportedPayment(
                line["invoice"],
                date.fromisoformat(line["invoice_issue_date"]),
                date.fromisoformat(line["collected_on"]),
                Decimal(line["amount"]),
                amounts_by_rate=tuple(
                    (Decimal(rate), Decimal(amount))
                    for rate, amount in line.get("amounts_by_rate", ())
                ),
            )
            for line in report.payments
        ),
        total=report.total,
    )
    try:
        receipt = connector.send_payment_report(flow)
    except Refused as refusal:
        report.state = Outgoing.REJECTED
        report.reason = str(refusal)
        report.save()
        return report
    except TemporaryFailure as failure:
        if not final:
            raise
        report.state = Outgoing.FAILED
        report.last_error = str(failure)
        report.save()
        return report
    report.state = Outgoing.TO_UPLOAD if receipt.status == "to_upload" else Outgoing.SENT
    report.flow_id = receipt.flow_id
    report.sent_at = receipt.received_at or timezone.now()
    report.save()
    return report
