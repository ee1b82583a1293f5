"""Bank statements: import (CSV or CAMT.053), matching to invoices, confirmation.

An import is all or nothing: a malformed file imports nothing and says which line is
wrong. The same statement is imported once (its file fingerprint and its identifier are
unique), and a line the bank already gave in an earlier statement is skipped (its bank
reference is unique). Credits become payments only when a collector confirms them.
"""

import hashlib
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from invoices.bank_formats import StatementFormatError, parse_statement
from invoices.models import BankLine, BankLineSuggestion, BankStatement, Client, Invoice
from invoices.selectors import open_invoices
from invoices.services.payments import payment_record, split_over_invoices
from portage.batch import paris_today
from portage.services import audit_record
from portage.validators import validate_business_date


@dataclass(frozen=True)
class ImportResult:
    statement: BankStatement | None
    imported: int = 0
    matched: int = 0
    skipped_debits: int = 0
    skipped_duplicates: int = 0
    already_imported: bool = False


def _invoice_number_pattern(tenant):
    prefix = re.escape(tenant.invoice_prefix)
    # FA-2026-000123, also written FA 2026 000123 or FA2026000123 in a transfer's label.
    return re.compile(rf"\b{prefix}[\s-]?(\d{{4}}[\s-]?)?(\d{{1,9}})\b", re.IGNORECASE)


def _numbers_in(text, tenant):
    numbers = set()
    for match in _invoice_number_pattern(tenant).finditer(text or ""):
        year = (match.group(1) or "").strip(" -")
        sequence = int(match.group(2))
        if year:
            numbers.add(f"{tenant.invoice_prefix}-{year}-{sequence:06d}")
        else:
            numbers.add(f"{tenant.invoice_prefix}-{sequence:06d}")
    return numbers


def match_line(line):
    """Suggest what a credit pays: the open invoices whose numbers its text gives, else the
    one open invoice whose balance is exactly its amount. Nothing is recorded yet."""
    tenant = line.tenant
    candidates = open_invoices().filter(tenant=tenant)
    named = list(candidates.filter(number__in=_numbers_in(line.remittance, tenant)))
    if named:
        clients = {invoice.client_id for invoice in named}
        if len(clients) == 1:
            return named[0].client, split_over_invoices(line.amount, named)
    same_amount = [
        invoice for invoice in candidates.select_related("client") if invoice.balance == line.amount
    ]
    if len(same_amount) == 1:
        return same_amount[0].client, [(same_amount[0], line.amount)]
    return None, []


def _suggest(line):
    client, parts = match_line(line)
    line.suggestions.all().delete()
    line.suggested_client = client
    line.status = BankLine.Status.SUGGESTED if client else BankLine.Status.UNMATCHED
    line.save(update_fields=["suggested_client", "status"])
    BankLineSuggestion.objects.bulk_create(
        BankLineSuggestion(tenant=line.tenant, line=line, invoice=invoice, amount=part)
        for invoice, part in parts
    )
    return client is not None


@transaction.atomic
def statement_import(*, tenant, content, filename, by):
    """Import a statement file: its credits wait in the queue with what they seem to pay."""
    sha256 = hashlib.sha256(content).hexdigest()
    if BankStatement.objects.filter(tenant=tenant, sha256=sha256).exists():
        return ImportResult(statement=None, already_imported=True)
    try:
        parsed = parse_statement(content, filename)
    except StatementFormatError as error:
        raise ValidationError(str(error), code="malformed") from error
    today = paris_today()
    for parsed_line in parsed.lines:
        validate_business_date(
            parsed_line.booking_date, today=today, label=_("The booking date of a line")
        )
    if (
        parsed.statement_id
        and BankStatement.objects.filter(tenant=tenant, statement_id=parsed.statement_id).exists()
    ):
        return ImportResult(statement=None, already_imported=True)
    statement = BankStatement.objects.create(
        tenant=tenant,
        format=parsed.format,
        statement_id=parsed.statement_id,
        account_iban=parsed.account_iban,
        filename=filename[:255],
        sha256=sha256,
        imported_by=by,
    )
    known = set(
        BankLine.objects.filter(
            tenant=tenant,
            bank_reference__in=[
                line.bank_reference for line in parsed.lines if line.bank_reference
            ],
        ).values_list("bank_reference", flat=True)
    )
    imported = matched = debits = duplicates = 0
    for parsed_line in parsed.lines:
        if parsed_line.amount <= 0:
            debits += 1
            continue
        if parsed_line.bank_reference and parsed_line.bank_reference in known:
            duplicates += 1
            continue
        known.add(parsed_line.bank_reference)
        line = BankLine.objects.create(
            tenant=tenant,
            statement=statement,
            line_number=parsed_line.line_number,
            booking_date=parsed_line.booking_date,
            amount=parsed_line.amount,
            currency=parsed_line.currency,
            counterparty=parsed_line.counterparty[:200],
            remittance=parsed_line.remittance,
            bank_reference=parsed_line.bank_reference[:100],
        )
        imported += 1
        matched += _suggest(line)
    audit_record(
        tenant=tenant,
        actor=by,
        action="bank.statement_imported",
        obj=statement,
        after={"lines": imported, "matched": matched, "debits": debits, "duplicates": duplicates},
    )
    return ImportResult(
        statement=statement,
        imported=imported,
        matched=matched,
        skipped_debits=debits,
        skipped_duplicates=duplicates,
    )


def _locked_waiting_line(line):
    stored = BankLine.objects.select_for_update().get(pk=line.pk)
    if stored.status in (BankLine.Status.CONFIRMED, BankLine.Status.DISMISSED):
        raise ValidationError(_("This bank line has already been dealt with."), code="done")
    return stored


@transaction.atomic
def bank_line_confirm(*, line, by, client=None, allocations=None):
    """Record the line as a payment of `client` (the suggestion by default), allocated as
    given (the suggested allocations by default); what is left is the client's credit."""
    stored = _locked_waiting_line(line)
    client = client or stored.suggested_client
    if client is None:
        raise ValidationError(_("Choose the client who paid."), code="no_client")
    if allocations is None:
        allocations = [(s.invoice, s.amount) for s in stored.suggestions.select_related("invoice")]
    payment = payment_record(
        client=Client.objects.get(pk=client.pk),
        amount=stored.amount,
        received_on=stored.booking_date,
        by=by,
        reference=stored.bank_reference or stored.remittance,
        allocations=[(Invoice.objects.get(pk=invoice.pk), part) for invoice, part in allocations],
    )
    stored.payment = payment
    stored.status = BankLine.Status.CONFIRMED
    stored.save(update_fields=["payment", "status"])
    return payment


@dataclass(frozen=True)
class ConfirmAllResult:
    payments: list
    refused: list  # (line, the reason)


def bank_lines_confirm_proposed(*, tenant, by):
    """Record every credit whose match is proposed as the payment it was matched to, each
    as `bank_line_confirm` would; a line the service refuses (an invoice paid meanwhile, a
    suggestion now larger than what is due) stays in the queue with its reason, and the
    others are recorded all the same."""
    payments, refused = [], []
    lines = BankLine.objects.filter(tenant=tenant, status=BankLine.Status.SUGGESTED).order_by(
        "booking_date", "pk"
    )
    for line in lines:
        try:
            with transaction.atomic():
                payments.append(bank_line_confirm(line=line, by=by))
        except ValidationError as error:
            refused.append((line, " ".join(error.messages)))
    return ConfirmAllResult(payments=payments, refused=refused)


@transaction.atomic
def bank_line_dismiss(*, line, by, reason):
    """Take a line out of the queue (not a client payment: a refund, a transfer between
    accounts…), saying why."""
    stored = _locked_waiting_line(line)
    if not reason.strip():
        raise ValidationError(_("Say why this line is not a client payment."), code="no_reason")
    stored.status = BankLine.Status.DISMISSED
    stored.save(update_fields=["status"])
    audit_record(
        tenant=stored.tenant,
        actor=by,
        action="bank.line_dismissed",
        obj=stored,
        after={"reason": reason.strip()},
    )
    return stored
