"""Blank tests (tests à blanc): a list of clients and their exposure put to several insurers,
each insurer's answer (the limit it would grant) entered per client, and the comparison that
shows which insurer covers these clients best (`insurance.selectors.blank_tests`).

The list comes from a CSV file (siren;name;exposure) or from the company's own clients.
"""

import codecs
import csv
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from insurance.models import BlankTest, BlankTestAnswer, BlankTestClient
from invoices.selectors import clients_with_exposure
from portage.money import ZERO, to_cents
from portage.services import audit_record
from portage.validators import compact_siren, validate_siren

MAX_BYTES = 1_000_000
MAX_LINES = 2_000
MAX_ERRORS_SHOWN = 20
MAX_EXPOSURE = Decimal("999999999999.99")
NAME_MAX_LENGTH = BlankTestClient._meta.get_field("name").max_length
_SPACES = " \u00a0\u202f"


@dataclass(frozen=True)
class ClientRow:
    siren: str
    name: str
    exposure: Decimal


def _exposure(raw):
    """1234,56 / 1 234,56 / 1234.56 / 1.234,56 / 1,234.56: the mark that comes last is the
    decimal one; at most two decimals; never negative."""
    text = raw.strip().removesuffix("€").strip()
    for space in _SPACES:
        text = text.replace(space, "")
    if not text:
        raise ValueError(_("the exposure is missing"))
    if text.rfind(",") > text.rfind("."):
        text = text.replace(".", "").replace(",", ".")
    else:
        text = text.replace(",", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise ValueError(_("the exposure “%(value)s” is not an amount") % {"value": raw.strip()})
    if value < ZERO:
        raise ValueError(_("the exposure cannot be negative"))
    if value > MAX_EXPOSURE:
        raise ValueError(_("the exposure “%(value)s” is too large") % {"value": raw.strip()})
    if value != value.quantize(Decimal("0.01")):
        raise ValueError(
            _("the exposure “%(value)s” has more than two decimals") % {"value": raw.strip()}
        )
    return to_cents(value)


def _rows(text):
    """(line number, cells) of each non-blank row; the separator is ';' when the first line
    has one, else ','."""
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    separator = ";" if ";" in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    start = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise ValidationError(
                _("Line %(number)s: the line cannot be read: check its quotes.") % {"number": start}
            ) from error
        if any(cell.strip() for cell in cells):
            yield start, cells
        start = reader.line_num + 1


def parse_clients_csv(content: bytes):
    """The clients of a blank test from a CSV file: columns SIREN, name, exposure (excl. or
    incl. VAT, as the insurers are asked), separated by ';' or ','; UTF-8 with or without a
    byte order mark; amounts with a decimal comma or point; a header line is optional.

    All or nothing: any wrong line raises a ValidationError listing each wrong line by its
    number (the first ones, when there are many)."""
    if len(content) > MAX_BYTES:
        raise ValidationError(_("The file is larger than 1 MB."))
    if content.startswith(codecs.BOM_UTF8):
        content = content[len(codecs.BOM_UTF8) :]
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValidationError(
            _("The file is not in UTF-8: save it again as “CSV UTF-8” from the spreadsheet.")
        ) from error
    rows = list(_rows(text))
    if rows and rows[0][1][0].strip().lower() == "siren":
        rows = rows[1:]
    if not rows:
        raise ValidationError(_("The file has no client line."))
    if len(rows) > MAX_LINES:
        raise ValidationError(
            _("The file has %(count)s client lines; a blank test takes at most %(max)s.")
            % {"count": len(rows), "max": MAX_LINES}
        )
    errors = []
    clients = []
    seen = {}
    for number, cells in rows:
        cells = [cell.strip() for cell in cells]
        while len(cells) > 3 and not cells[-1]:
            cells.pop()
        try:
            if len(cells) != 3:
                raise ValueError(
                    _("%(count)s columns found, 3 expected (SIREN, name, exposure)")
                    % {"count": len(cells)}
                )
            siren = compact_siren(cells[0])
            try:
                validate_siren(siren)
            except ValidationError as error:
                raise ValueError(" ".join(error.messages).rstrip(".")) from error
            if siren in seen:
                raise ValueError(
                    _("SIREN %(siren)s is already on line %(line)s")
                    % {"siren": siren, "line": seen[siren]}
                )
            name = " ".join(cells[1].split())
            if not name:
                raise ValueError(_("the name is missing"))
            if len(name) > NAME_MAX_LENGTH:
                raise ValueError(
                    _("the name is longer than %(max)s characters") % {"max": NAME_MAX_LENGTH}
                )
            exposure = _exposure(cells[2])
        except ValueError as error:
            errors.append(_("Line %(number)s: %(problem)s.") % {"number": number, "problem": error})
            continue
        seen[siren] = number
        clients.append(ClientRow(siren, name, exposure))
    if errors:
        shown = errors[:MAX_ERRORS_SHOWN]
        if len(errors) > MAX_ERRORS_SHOWN:
            shown.append(
                _("… and %(count)s more wrong lines.") % {"count": len(errors) - MAX_ERRORS_SHOWN}
            )
        raise ValidationError(shown)
    return clients


@transaction.atomic
def _create(*, tenant, actor, name, rows, source):
    test = BlankTest.objects.create(tenant=tenant, name=name, created_by=actor)
    BlankTestClient.objects.bulk_create(
        BlankTestClient(
            tenant=tenant, test=test, siren=row.siren, name=row.name, exposure=row.exposure
        )
        for row in rows
    )
    audit_record(
        tenant=tenant,
        actor=actor,
        action="insurance.blank_test_created",
        obj=test,
        after={
            "name": name,
            "source": source,
            "clients": len(rows),
            "exposure": sum((row.exposure for row in rows), ZERO),
        },
    )
    return test


def blank_test_create_from_csv(*, tenant, actor, name, content: bytes):
    """A blank test of the clients of a CSV file (see `parse_clients_csv`): all or nothing."""
    return _create(
        tenant=tenant, actor=actor, name=name, rows=parse_clients_csv(content), source="csv"
    )


def blank_test_create_from_clients(*, tenant, actor, name):
    """A blank test of the company's clients with their exposure today (unpaid incl. VAT).
    Insurers know a client by its SIREN: clients without one (abroad) are left out."""
    rows = [
        ClientRow(client.siren, client.legal_name[:NAME_MAX_LENGTH], to_cents(client.exposure))
        for client in clients_with_exposure(tenant=tenant).exclude(siren="").order_by("legal_name")
    ]
    if not rows:
        raise ValidationError(_("The company has no client with a SIREN to put in a blank test."))
    return _create(tenant=tenant, actor=actor, name=name, rows=rows, source="clients")


def answers_save(*, test, actor, answers):
    """Records the insurers' answers for some of the test's clients.

    `answers` maps (client, insurer) to (amount, grade): the limit the insurer would grant
    (0 is a refusal) and its grade; an amount of None removes the answer (not answered)."""
    tenant = test.tenant
    existing = {
        (answer.client_id, answer.insurer_id): answer
        for answer in BlankTestAnswer.objects.filter(client__test=test)
    }
    created, changed, removed = [], [], []
    for (client, insurer), (amount, grade) in answers.items():
        if client.test_id != test.pk:
            raise ValidationError(_("This client is not in the blank test."))
        answer = existing.get((client.pk, insurer.pk))
        if amount is None:
            if answer is not None:
                removed.append(answer.pk)
            continue
        amount = to_cents(amount)
        if amount < ZERO:
            raise ValidationError(_("A limit granted cannot be negative."))
        grade = (grade or "").strip()
        if answer is None:
            created.append(
                BlankTestAnswer(
                    tenant=tenant, client=client, insurer=insurer, amount=amount, grade=grade
                )
            )
        elif (answer.amount, answer.grade) != (amount, grade):
            answer.amount, answer.grade = amount, grade
            changed.append(answer)
    with transaction.atomic():
        BlankTestAnswer.objects.bulk_create(created)
        BlankTestAnswer.objects.bulk_update(changed, ["amount", "grade"])
        BlankTestAnswer.objects.filter(pk__in=removed).delete()
        if created or changed or removed:
            audit_record(
                tenant=tenant,
                actor=actor,
                action="insurance.blank_test_answered",
                obj=test,
                after={"added": len(created), "changed": len(changed), "removed": len(removed)},
            )
    return len(created) + len(changed) + len(removed)
