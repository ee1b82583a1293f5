"""Clients, missions, invoices and credit notes: drafting, issuing, cancelling.

Issuing follows the French rules for invoices (Code de commerce L441-9, CGI art. 242
nonies A): a unique number in a continuous, chronological series, the mandatory mentions,
and no change once issued; a correction is a credit note (avoir) naming the invoice.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from consultants.models import LedgerEntry
from consultants.services import ledger_post
from invoices.facturx import (
    DIRECTORY_SCHEME,
    DOMESTIC_COUNTRIES,
    EMAIL_SCHEME,
    EU_COUNTRIES,
    NOT_SUBJECT,
    vat_category,
)
from invoices.models import Client, Invoice, InvoiceLine, Mission, NumberCounter
from invoices.signals import client_created, document_issued, invoice_issued
from invoices.tasks import render_invoice_pdf_task
from invoices.terms import due_date, validate_terms
from invoices.totals import compute_totals, line_total
from portage.batch import paris_today
from portage.mentions import missing_company_mentions
from portage.models import PayModel
from portage.money import french_number, to_cents
from portage.services import audit_diff, audit_record, snapshot
from portage.templatetags.portage import euros
from portage.validators import validate_business_date

VAT_RATES = (Decimal("20.00"), Decimal("10.00"), Decimal("5.50"), Decimal("2.10"), Decimal("0"))

CLIENT_FIELDS = [
    "legal_name",
    "siren",
    "siret",
    "vat_number",
    "country",
    "address_line1",
    "address_line2",
    "postal_code",
    "city",
    "billing_emails",
    "category",
    "payment_terms",
    "payment_days",
]
MISSION_FIELDS = [
    "title",
    "start_date",
    "end_date",
    "daily_rate",
    "payment_terms",
    "payment_days",
    "purchase_order",
]


# Clients and missions


@transaction.atomic
def _siren_free(client):
    """Refuses a SIREN another client of the company holds (a conflict, not a typo)."""
    if client.siren and Client.objects.filter(siren=client.siren).exclude(pk=client.pk).exists():
        raise ValidationError(
            {
                "siren": ValidationError(
                    _("Another client already has SIREN %(siren)s."),
                    params={"siren": client.siren},
                    code="exists",
                )
            }
        )


def client_create(*, tenant, by, **fields):
    client = Client(tenant=tenant, **fields)
    _siren_free(client)
    client.full_clean()
    client.save()
    audit_record(
        tenant=tenant,
        actor=by,
        action="client.created",
        obj=client,
        after=snapshot(client, ["legal_name", "siren", "category"]),
    )
    client_created.send(sender=Client, client=client)
    return client


@transaction.atomic
def client_update(*, client, by, **changes):
    stored = Client.objects.select_for_update().get(pk=client.pk)
    before = snapshot(stored, changes)
    for name, value in changes.items():
        setattr(stored, name, value)
    _siren_free(stored)
    stored.full_clean()
    stored.save()
    before, after = audit_diff(before, snapshot(stored, changes))
    if after:
        audit_record(
            tenant=stored.tenant,
            actor=by,
            action="client.updated",
            obj=stored,
            before=before,
            after=after,
        )
    return stored


@transaction.atomic
def mission_create(*, tenant, consultant, client, by, **fields):
    mission = Mission(tenant=tenant, consultant=consultant, client=client, **fields)
    mission.full_clean()
    mission.save()
    audit_record(
        tenant=tenant,
        actor=by,
        action="mission.created",
        obj=mission,
        after={
            "consultant": str(consultant),
            "client": str(client),
            "daily_rate": mission.daily_rate,
        },
    )
    return mission


# Drafts


def _check_period(invoice):
    """The service period (période de la prestation, BT-73 / BT-74): both dates or none, the
    end on or after the start (EN 16931 BR-29)."""
    start, end = invoice.period_start, invoice.period_end
    if (start is None) != (end is None):
        raise ValidationError(
            _("The service period needs both its start and its end."), code="period_incomplete"
        )
    if start is not None and end < start:
        raise ValidationError(
            _("The service period cannot end before it starts."), code="period_reversed"
        )


def mission_service_period(mission, *, issued_on):
    """The service period (BT-73 / BT-74) of an invoice for `mission` that gave none: the
    mission's dates, up to the issue date while the mission goes on. The invoice must state
    the date of the service (Code de commerce L441-9; CGI art. 242 nonies A, I-7°, the date
    the service was performed or completed when it is not the invoice's date).

    A mission not started yet by the issue date (an invoice in advance) gives its own dates
    when it has an end, else None: the service is then dated the issue date."""
    start, end = mission.start_date, mission.end_date
    if issued_on < start:
        return (start, end) if end else None
    return start, min(end, issued_on) if end else issued_on


def _check_parties(*, client, consultant, mission):
    if mission and (mission.client_id != client.pk or mission.consultant_id != consultant.pk):
        raise ValidationError(_("This mission is not the consultant's mission for this client."))


DESCRIPTION_MAX_LENGTH = InvoiceLine._meta.get_field("description").max_length


def _write_lines(invoice, lines):
    """Replace the draft's lines and recompute its totals."""
    if not lines:
        raise ValidationError(_("An invoice needs at least one line."), code="no_lines")
    invoice.lines.all().delete()
    objects = []
    for position, line in enumerate(lines, start=1):
        quantity = Decimal(line["quantity"])
        unit_price = to_cents(line["unit_price"])
        vat_rate = Decimal(line["vat_rate"])
        if quantity <= 0 or unit_price < 0:
            raise ValidationError(
                _("Line %(n)s: quantity and price must be positive."), params={"n": position}
            )
        if vat_rate not in VAT_RATES:
            raise ValidationError(
                _("Line %(n)s: %(rate)s %% is not a French VAT rate."),
                params={"n": position, "rate": french_number(vat_rate)},
            )
        description = line["description"]
        if not description or len(description) > DESCRIPTION_MAX_LENGTH:
            raise ValidationError(
                _("Line %(n)s: the description must have 1 to %(max)s characters."),
                params={"n": position, "max": DESCRIPTION_MAX_LENGTH},
            )
        objects.append(
            InvoiceLine(
                tenant=invoice.tenant,
                invoice=invoice,
                position=position,
                description=description,
                quantity=quantity,
                unit=line.get("unit", InvoiceLine.Unit.DAY),
                unit_price=unit_price,
                vat_rate=vat_rate,
                total_ht=line_total(quantity=quantity, unit_price=unit_price),
            )
        )
    InvoiceLine.objects.bulk_create(objects)
    totals = compute_totals(objects)
    invoice.total_ht, invoice.total_vat, invoice.total_ttc = totals.ht, totals.vat, totals.ttc


@transaction.atomic
def invoice_draft_create(
    *,
    tenant,
    client,
    consultant,
    lines,
    by,
    mission=None,
    purchase_order="",
    payment_terms=None,
    payment_days=None,
    period_start=None,
    period_end=None,
):
    """A draft invoice; its terms default to the mission's, else the client's. The service
    period is optional: without it, an invoice for a mission is issued with the mission's
    dates (`mission_service_period`); without a mission, the service is dated the issue date."""
    _check_parties(client=client, consultant=consultant, mission=mission)
    terms_from = mission or client
    invoice = Invoice(
        tenant=tenant,
        client=client,
        consultant=consultant,
        mission=mission,
        purchase_order=purchase_order or (mission.purchase_order if mission else ""),
        payment_terms=payment_terms or terms_from.payment_terms,
        payment_days=terms_from.payment_days if payment_days is None else payment_days,
        period_start=period_start,
        period_end=period_end,
    )
    validate_terms(invoice.payment_terms, invoice.payment_days)
    _check_period(invoice)
    invoice.save()
    _write_lines(invoice, lines)
    invoice.save()
    audit_record(
        tenant=tenant,
        actor=by,
        action="invoice.drafted",
        obj=invoice,
        after={"client": str(client), "total_ttc": invoice.total_ttc},
    )
    return invoice


def _locked_draft(invoice):
    stored = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if not stored.is_draft:
        raise ValidationError(
            _("Invoice %(number)s is issued: it cannot be changed. Issue a credit note instead."),
            params={"number": stored.number},
            code="issued",
        )
    return stored


@transaction.atomic
def invoice_draft_update(*, invoice, by, lines=None, **fields):
    stored = _locked_draft(invoice)
    for name, value in fields.items():
        setattr(stored, name, value)
    _check_parties(client=stored.client, consultant=stored.consultant, mission=stored.mission)
    validate_terms(stored.payment_terms, stored.payment_days)
    _check_period(stored)
    if lines is not None:
        _write_lines(stored, lines)
    stored.save()
    return stored


@transaction.atomic
def invoice_draft_delete(*, invoice, by):
    """Drop a draft: it has no number yet, so no hole is left in the series."""
    stored = _locked_draft(invoice)
    audit_record(
        tenant=stored.tenant,
        actor=by,
        action="invoice.draft_deleted",
        obj=stored,
        before={"client": str(stored.client), "total_ttc": stored.total_ttc},
    )
    stored.delete()


# Issuing


def _next_number(*, tenant, kind, issued_on):
    """Take the next number of the series, under a lock held until the transaction ends.

    The counter row, not "highest number + 1", makes numbers continuous and unique when
    many invoices are issued at once; refusing a date earlier than the series' last keeps
    them chronological.
    """
    prefix = tenant.invoice_prefix if kind == Invoice.Kind.INVOICE else tenant.credit_note_prefix
    year = issued_on.year if tenant.number_yearly_reset else 0
    key = {"tenant": tenant, "kind": kind, "prefix": prefix, "year": year}
    try:
        with transaction.atomic():
            NumberCounter.objects.get_or_create(**key)
    except IntegrityError:
        pass  # created at the same moment by another transaction: it is there now
    counter = NumberCounter.objects.select_for_update().get(**key)
    if counter.last_issue_date and issued_on < counter.last_issue_date:
        raise ValidationError(
            _(
                "The series already has a document dated %(date)s: numbers follow the dates, "
                "so this one cannot be dated earlier."
            ),
            params={"date": counter.last_issue_date.strftime("%d/%m/%Y")},
            code="not_chronological",
        )
    counter.last_number += 1
    counter.last_issue_date = issued_on
    counter.save(update_fields=["last_number", "last_issue_date"])
    if year:
        return f"{prefix}-{year}-{counter.last_number:06d}"
    return f"{prefix}-{counter.last_number:06d}"


def _party(**fields):
    return {name: value or "" for name, value in fields.items()}


def seller_electronic_address(tenant):
    """The company's electronic invoicing address (BT-34) and its scheme: the one it gave,
    else its SIREN, the address every company has in the French directory (annuaire,
    scheme 0225), which the French rules accept (BR-FR-13, BR-FR-22)."""
    return tenant.einvoicing_address or tenant.siren, DIRECTORY_SCHEME


def buyer_electronic_address(client):
    """The client's electronic invoicing address (BT-49) and its scheme, as frozen into the
    invoice: its directory entry, as the e-invoicing app last looked it up; else, for a
    client in France, its SIREN in the directory (scheme 0225: the address the French rules
    want to start with the buyer's SIREN, BR-FR-21); else, for a foreign client, its first
    billing e-mail (scheme EM). ("", "") when there is none: the platform would refuse the
    invoice (BR-FR-12)."""
    if client.einvoicing_address:
        return client.einvoicing_address, client.einvoicing_scheme or DIRECTORY_SCHEME
    if client.siren and client.country in DOMESTIC_COUNTRIES:
        return client.siren, DIRECTORY_SCHEME
    if client.billing_emails:
        return client.billing_emails[0], EMAIL_SCHEME
    return "", ""


def _seller(tenant):
    address, scheme = seller_electronic_address(tenant)
    return _party(
        name=tenant.legal_name,
        siren=tenant.siren,
        vat_number=tenant.vat_number,
        address_line1=tenant.address_line1,
        address_line2=tenant.address_line2,
        postal_code=tenant.postal_code,
        city=tenant.city,
        country=tenant.country,
        iban=tenant.iban,
        bic=tenant.bic,
        email="",
        einvoicing_address=address,
        einvoicing_scheme=scheme,
        # BT-33 and after the name on the PDF (Code de commerce R123-237, R123-238).
        legal_info=tenant.registration_mention,
        # Printed on the invoice: the rate in force when it was issued.
        late_penalty_rate=str(tenant.late_penalty_rate or ""),
    ) | {"vat_on_debits": tenant.vat_on_debits}


def _buyer(client):
    address, scheme = buyer_electronic_address(client)
    return _party(
        name=client.legal_name,
        siren=client.siren,
        siret=client.siret,
        vat_number=client.vat_number,
        address_line1=client.address_line1,
        address_line2=client.address_line2,
        postal_code=client.postal_code,
        city=client.city,
        country=client.country,
        email=(client.billing_emails or [""])[0],
        category=client.category,
        einvoicing_address=address,
        einvoicing_scheme=scheme,
        einvoicing_routing_code=client.einvoicing_routing_code,
    )


def missing_mentions(invoice):
    """The mandatory mentions (Code de commerce L441-9, R123-237, R123-238; CGI art. 242
    nonies A) the invoice could not print if it were issued now, each named with its
    source: the company's (see portage.mentions.missing_company_mentions). The client's are
    checked when the client is saved; the service date defaults (see
    `mission_service_period`)."""
    return missing_company_mentions(invoice.tenant)


def _check_mentions(invoice):
    """No number is taken while a mandatory mention is missing: the refusal lists them all."""
    missing = missing_mentions(invoice)
    if missing:
        raise ValidationError(
            {"missing_mentions": [ValidationError(m, code="missing_mention") for m in missing]}
        )


def _check_vat_categories(invoice, buyer):
    """A line's VAT must fit the client (see invoices.facturx.vat_category).

    CGI art. 259-1°: a service to a taxable business is taxed where the business is
    established, so a business established outside France is billed no French VAT (reverse
    charge in another member state, art. 283-2 and EN 16931 AE; not subject outside the EU,
    O). A business of another member state proves it is one by its VAT number; without it,
    French VAT applies. An individual is billed French VAT wherever they live (art. 259 B
    aside, which a consultant's services do not meet). At 0 %, a business of another member
    state is billed under reverse charge only with its VAT number (EN 16931 BR-AE-02), and an
    invoice not subject to VAT has no line with VAT (BR-O-11). A credit note carries the VAT
    of the invoice it cancels, even one issued before this rule."""
    lines = list(invoice.lines.all())
    country = buyer.get("country")
    business_abroad = (
        buyer.get("category") != "individual"
        and country not in DOMESTIC_COUNTRIES
        and (country not in EU_COUNTRIES or bool(buyer.get("vat_number")))
    )
    credit_note = invoice.kind == Invoice.Kind.CREDIT_NOTE
    if business_abroad and not credit_note and any(line.vat_rate > 0 for line in lines):
        raise ValidationError(
            _(
                "A service to a business established outside France is taxed where the "
                "client is established (CGI art. 259-1°): its lines carry no French VAT "
                "(0 %: reverse charge in the EU, not subject outside it)."
            ),
            code="vat_on_foreign_business",
        )
    categories = {vat_category(line.vat_rate, buyer) for line in lines}
    if None in categories:
        raise ValidationError(
            _(
                "A line without VAT for a client in another EU country needs the client's "
                "VAT number (reverse charge); otherwise French VAT applies."
            ),
            code="reverse_charge_without_vat_number",
        )
    if NOT_SUBJECT in categories and len(categories) > 1:
        raise ValidationError(
            _(
                "A client outside the EU is not subject to French VAT: either no line or "
                "every line carries VAT."
            ),
            code="not_subject_mixed",
        )


def _post_billed(invoice, *, billed, fee, booked_on, by):
    """Pay model "on invoicing": the consultant is credited the net when the invoice is issued
    (`billed` excl. VAT less the `fee`), and debited back by a credit note (a negative
    `billed`, and the fee the invoice no longer bears)."""
    for kind, amount in (
        (LedgerEntry.Kind.INVOICE_BILLED, billed),
        (LedgerEntry.Kind.MANAGEMENT_FEE, -fee),
    ):
        ledger_post(
            consultant=invoice.consultant,
            kind=kind,
            amount=amount,
            booked_on=booked_on,
            label=invoice.number,
            invoice=invoice,
            by=by,
        )


def _issue(invoice, *, by, issued_on):
    tenant = invoice.tenant
    validate_business_date(issued_on, today=paris_today(), label=_("The issue date"))
    _check_mentions(invoice)
    if invoice.total_ttc <= 0 and invoice.kind == Invoice.Kind.INVOICE:
        raise ValidationError(_("An invoice of zero cannot be issued."), code="zero")
    buyer = _buyer(invoice.client)
    _check_vat_categories(invoice, buyer)
    invoice.number = _next_number(tenant=tenant, kind=invoice.kind, issued_on=issued_on)
    invoice.issue_date = issued_on
    invoice.status = Invoice.Status.ISSUED
    invoice.issued_at = timezone.now()
    invoice.issued_by = by
    invoice.seller = _seller(tenant)
    invoice.buyer = buyer
    # A credit note keeps the rate of the invoice it cancels, whatever the rate is now.
    credited = invoice.credited_invoice
    invoice.fee_rate = credited.fee_rate if credited else invoice.consultant.fee_rate
    invoice.pay_model = credited.pay_model if credited else tenant.pay_model
    if invoice.kind == Invoice.Kind.INVOICE:
        invoice.due_date = due_date(
            issued_on=issued_on, terms=invoice.payment_terms, days=invoice.payment_days
        )
        if invoice.period_start is None and invoice.mission:
            period = mission_service_period(invoice.mission, issued_on=issued_on)
            invoice.period_start, invoice.period_end = period or (None, None)
    invoice.save()


@transaction.atomic
def invoice_issue(*, invoice, by, issued_on=None):
    """Issue a draft: number, date, due date, frozen identities, and the PDF to render."""
    stored = _locked_draft(invoice)
    _issue(stored, by=by, issued_on=issued_on or paris_today())
    if stored.pay_model == PayModel.ON_INVOICING:
        _post_billed(
            stored, billed=stored.total_ht, fee=stored.fee, booked_on=stored.issue_date, by=by
        )
    audit_record(
        tenant=stored.tenant,
        actor=by,
        action="invoice.issued",
        obj=stored,
        after={"number": stored.number, "total_ttc": stored.total_ttc, "due_date": stored.due_date},
    )
    invoice_issued.send(sender=Invoice, invoice=stored)
    document_issued.send(sender=Invoice, invoice=stored)
    _render_pdf_after_commit(stored)
    return stored


@transaction.atomic
def credit_note_issue(*, invoice, by, reason, lines=None, issued_on=None):
    """Cancel an issued invoice fully (its own lines, by default) or partly (the lines given),
    by a credit note that names it. It may not cancel more than is still unpaid."""
    from invoices.services.payments import settle, sync_consultant_account

    original = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if original.kind != Invoice.Kind.INVOICE or original.is_draft:
        raise ValidationError(_("Only an issued invoice can be credited."), code="state")
    if not reason.strip():
        raise ValidationError(_("A credit note states its reason."), code="no_reason")
    if lines is None:
        lines = [
            {
                "description": line.description,
                "quantity": line.quantity,
                "unit": line.unit,
                "unit_price": line.unit_price,
                "vat_rate": line.vat_rate,
            }
            for line in original.lines.all()
        ]
    note = Invoice(
        tenant=original.tenant,
        kind=Invoice.Kind.CREDIT_NOTE,
        client=original.client,
        consultant=original.consultant,
        mission=original.mission,
        credited_invoice=original,
        purchase_order=original.purchase_order,
        reason=reason.strip()[:200],
        payment_terms=original.payment_terms,
        payment_days=original.payment_days,
        # What it cancels was rendered over the invoice's period.
        period_start=original.period_start,
        period_end=original.period_end,
    )
    note.save()
    _write_lines(note, lines)
    if note.total_ttc > original.balance:
        raise ValidationError(
            _(
                "This credit note (%(amount)s) is more than what is still unpaid on %(number)s "
                "(%(balance)s)."
            ),
            params={
                "amount": euros(note.total_ttc),
                "number": original.number,
                "balance": euros(original.balance),
            },
            code="beyond_balance",
        )
    _issue(note, by=by, issued_on=issued_on or paris_today())
    fee_before = original.fee
    original.credited_amount += note.total_ttc
    original.credited_ht += note.total_ht
    settle(original)
    if original.pay_model == PayModel.ON_INVOICING:
        # The fee follows what is still billed, as the pay status computes it.
        _post_billed(
            original,
            billed=-note.total_ht,
            fee=original.fee - fee_before,
            booked_on=note.issue_date,
            by=by,
        )
    else:
        sync_consultant_account(original, booked_on=note.issue_date, by=by)
    audit_record(
        tenant=original.tenant,
        actor=by,
        action="invoice.credited",
        obj=original,
        after={"credit_note": note.number, "amount": note.total_ttc, "reason": reason},
    )
    document_issued.send(sender=Invoice, invoice=note)
    _render_pdf_after_commit(note)
    return note


def _render_pdf_after_commit(invoice):
    """Render the PDF in a worker; the download renders it if the worker has not yet."""
    render_invoice_pdf_task.delay_on_commit(tenant_id=invoice.tenant_id, invoice_id=invoice.pk)
