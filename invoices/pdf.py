"""The invoice and credit note documents: a PDF/A-3 with the EN 16931 XML inside (Factur-X).

Rendered once, right after issue (or on first download if the worker has not done it),
from what was frozen at issue; stored with its SHA-256 and never rendered again.
"""

import base64
import hashlib
import threading
from functools import cache

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

from invoices.facturx import (
    DISCOUNT_TERMS,
    GENERAL,
    LATE_PENALTIES,
    RECOVERY_INDEMNITY,
    REGULATORY,
    TAX_NOTE,
    Note,
    exemption_reason,
    facturx_pdf,
    facturx_xml,
    vat_category,
)
from invoices.models import Invoice
from invoices.terms import describe
from invoices.totals import compute_totals
from portage.templatetags.portage import percent

LEGAL_RATE_TEXT = (
    "au taux d'intérêt appliqué par la Banque centrale européenne à son opération de "
    "refinancement la plus récente, majoré de 10 points"
)
# A contract rate never applies under its floor (L441-10 II), which the penalties apply half-year
# by half-year: printed with the rate, so that what the invoice states is what is claimed.
CONTRACT_RATE_FLOOR = ", et au moins trois fois le taux d'intérêt légal en vigueur"
# The mention CGI art. 242 nonies A asks since the e-invoicing reform of a company that
# opted to pay VAT on its services when invoicing rather than when paid (CGI art. 269-2-c).
VAT_ON_DEBITS = "Option pour le paiement de la taxe d'après les débits"
# What the seller snapshot keeps for the PDF only: the XML does not know these.
PDF_ONLY_SELLER_KEYS = frozenset({"late_penalty_rate", "vat_on_debits"})


def mandatory_notes(invoice, lines=None):
    """The mentions French law requires on an invoice (Code de commerce L441-9, L441-10,
    D441-5; CGI art. 242 nonies A), each with the subject code the e-invoicing rules find it
    by (BR-FR-05): late penalties (PMD), the 40 EUR recovery indemnity (PMT), the absence of
    discount (AAB); the option for VAT on debits (TXD, CGI art. 269-2-c) when the company
    took it; the reason of each 0 % VAT category (REG: exemption, "Autoliquidation", not
    subject). A credit note first names the invoice it cancels; the French rules ask the
    same three payment mentions of it as of an invoice. `lines`: the invoice's lines, when
    the caller has read them already."""
    notes = []
    if invoice.kind == Invoice.Kind.CREDIT_NOTE:
        credited = invoice.credited_invoice
        notes.append(
            Note(
                GENERAL,
                f"Avoir sur la facture n° {credited.number} du "
                f"{credited.issue_date:%d/%m/%Y}, qu'il annule à hauteur de son montant.",
            )
        )
    rate = invoice.seller.get("late_penalty_rate")
    rate_text = f"au taux de {percent(rate)} l'an{CONTRACT_RATE_FLOOR}" if rate else LEGAL_RATE_TEXT
    notes += [
        Note(
            LATE_PENALTIES,
            f"En cas de retard de paiement, des pénalités de retard sont exigibles dès le "
            f"lendemain de la date d'échéance, sans qu'un rappel soit nécessaire, "
            f"{rate_text} (Code de commerce, art. L441-10).",
        ),
        Note(
            RECOVERY_INDEMNITY,
            "Tout retard de paiement entraîne de plein droit une indemnité forfaitaire pour "
            "frais de recouvrement de 40 € (Code de commerce, art. D441-5).",
        ),
        Note(DISCOUNT_TERMS, "Pas d'escompte pour paiement anticipé."),
    ]
    if invoice.seller.get("vat_on_debits"):
        notes.append(Note(TAX_NOTE, VAT_ON_DEBITS))
    if lines is None:
        lines = _lines(invoice)
    categories = {vat_category(line.vat_rate, invoice.buyer) for line in lines}
    notes += [
        Note(REGULATORY, exemption_reason(category))
        for category in sorted(categories - {None})
        if exemption_reason(category)
    ]
    return notes


def _lines(invoice):
    return list(invoice.lines.order_by("position", "id"))


def facturx_document(invoice, lines=None):
    """The invoice as the Factur-X mapping expects it (see invoices.facturx). `lines`: the
    invoice's lines, when the caller has read them already."""
    if lines is None:
        lines = _lines(invoice)
    credited = invoice.credited_invoice
    return {
        "kind": invoice.kind,
        "number": invoice.number,
        "issue_date": invoice.issue_date,
        "due_date": invoice.due_date,
        "currency": invoice.currency,
        "seller": {
            key: value for key, value in invoice.seller.items() if key not in PDF_ONLY_SELLER_KEYS
        },
        "buyer": invoice.buyer,
        "vat_on_debits": bool(invoice.seller.get("vat_on_debits")),
        "period_start": invoice.period_start,
        "period_end": invoice.period_end,
        "purchase_order": invoice.purchase_order,
        "buyer_reference": invoice.purchase_order,
        "payment_terms": str(describe(invoice.payment_terms, invoice.payment_days)),
        "preceding_invoice": (
            {"number": credited.number, "issue_date": credited.issue_date} if credited else None
        ),
        "notes": mandatory_notes(invoice, lines),
        "lines": [
            {
                "description": line.description,
                "quantity": line.quantity,
                "unit": line.unit,
                "unit_price": line.unit_price,
                "vat_rate": line.vat_rate,
                "total_ht": line.total_ht,
            }
            for line in lines
        ],
        "vat_breakdown": [
            {"rate": rate, "base": base, "amount": amount}
            for rate, base, amount in compute_totals(lines).vat_breakdown
        ],
        "total_ht": invoice.total_ht,
        "total_vat": invoice.total_vat,
        "total_ttc": invoice.total_ttc,
        "amount_due": invoice.total_ttc,
    }


def _logo_data_uri(tenant):
    if not tenant.logo:
        return ""
    with tenant.logo.open("rb") as image:
        content = image.read()
    kind = "png" if content.startswith(b"\x89PNG") else "jpeg"
    return f"data:image/{kind};base64,{base64.b64encode(content).decode()}"


@cache
def pdf_stylesheet(name):
    """The static stylesheet of a PDF template (`templates/<name>`), parsed once per
    process: parsing it again for every document cost a fifth of an invoice's render."""
    return CSS(filename=str(settings.BASE_DIR / "templates" / name))


_fonts = threading.local()


def font_config():
    """WeasyPrint's font configuration, made once per thread and kept. Made for each
    document (WeasyPrint's default), it loads fontconfig's configuration and, through a new
    Pango font map, the fonts again: about half the cost of a one-line page. The templates
    declare no `@font-face`, so it only ever holds the system's fonts. One per thread: a
    Pango font map is not safe to share between threads."""
    config = getattr(_fonts, "config", None)
    if config is None:
        config = _fonts.config = FontConfiguration()
    return config


def write_pdf(html, stylesheet, **options):
    """The PDF of a rendered template (`html`), with its static stylesheet (see
    `pdf_stylesheet`) and the thread's font configuration (see `font_config`)."""
    return HTML(string=html).write_pdf(
        stylesheets=[pdf_stylesheet(stylesheet)], font_config=font_config(), **options
    )


def render_invoice_pdf(invoice):
    """The Factur-X PDF of an issued invoice or credit note, as bytes: always in French, the
    language of the legal mentions, whoever asks for it."""
    with translation.override("fr"):
        return _render(invoice)


def _render(invoice):
    lines = _lines(invoice)  # read once: the page, its mentions and the XML
    is_credit_note = invoice.kind == Invoice.Kind.CREDIT_NOTE
    title = "Avoir" if is_credit_note else "Facture"
    html = render_to_string(
        "invoices/pdf/invoice.html",
        {
            "invoice": invoice,
            "title": title,
            "is_credit_note": is_credit_note,
            "credited": invoice.credited_invoice,
            "seller": invoice.seller,
            "buyer": invoice.buyer,
            "consultant": invoice.consultant,
            "mission": invoice.mission,
            "lines": lines,
            "vat_breakdown": compute_totals(lines).vat_breakdown,
            "terms": describe(invoice.payment_terms, invoice.payment_days),
            "notes": mandatory_notes(invoice, lines),
            "logo": _logo_data_uri(invoice.tenant),
        },
    )
    pdf = write_pdf(html, "invoices/pdf/invoice.css", pdf_variant="pdf/a-3b")
    # The title and subject a PDF reader shows, in French as the document is.
    seller = invoice.seller.get("name", "")
    issued_by = "émis" if is_credit_note else "émise"
    metadata = {
        "author": seller,
        "keywords": f"{title}, Factur-X",
        "title": f"{seller} : {title} {invoice.number}",
        "subject": (
            f"{title} {invoice.number} du {invoice.issue_date:%d/%m/%Y} {issued_by} par {seller}"
        ),
    }
    return facturx_pdf(pdf, facturx_xml(facturx_document(invoice, lines)), metadata=metadata)


@transaction.atomic
def invoice_pdf_ensure(*, invoice):
    """The invoice's stored PDF, rendered now if it was not yet (once: the row is locked)."""
    stored = (
        Invoice.objects.select_for_update(of=("self",))
        .select_related("tenant", "consultant__user", "mission", "credited_invoice")
        .get(pk=invoice.pk)
    )
    if stored.is_draft:
        raise ValueError("a draft has no PDF")
    if not stored.pdf:
        content = render_invoice_pdf(stored)
        stored.pdf.save(f"{stored.tenant_id}/{stored.number}.pdf", ContentFile(content), save=False)
        stored.pdf_sha256 = hashlib.sha256(content).hexdigest()
        stored.save(update_fields=["pdf", "pdf_sha256", "updated_at"])
    return stored
