"""The manual connector: for an insurer reached through its web portal.

Declarations and claims come back "to_send": a person uploads the documents this module
makes (a CSV for the portal's import, a PDF to read or attach) and later enters the
insurer's answers by hand.
"""

import codecs
import csv
import io
from decimal import Decimal

from django.utils.html import escape
from weasyprint import HTML

from insurance.connectors.base import (
    ClaimFiling,
    Connector,
    ConnectorError,
    LimitDecision,
    Receipt,
)
from portage.money import to_cents
from portage.templatetags.portage import euros

TO_SEND = "to_send"

OVERDUE_CSV_HEADER = [
    "Référence",
    "SIREN client",
    "Client",
    "N° facture",
    "Échéance",
    "Montant impayé (EUR)",
]
CLAIM_CSV_HEADER = [
    "Référence",
    "SIREN client",
    "Client",
    "N° facture",
    "Date de facture",
    "Échéance",
    "Montant impayé (EUR)",
    "Date de déclaration",
]


def _decimal_comma(amount):
    return str(to_cents(amount)).replace(".", ",")


def _french_date(day):
    return f"{day:%d/%m/%Y}"


def documents_csv(filing_or_notice):
    """One row per invoice, for the portal's import: semicolons, UTF-8 with a BOM (so
    French Excel reads the accents), decimal comma, dates as DD/MM/YYYY."""
    is_claim = isinstance(filing_or_notice, ClaimFiling)
    rows = [CLAIM_CSV_HEADER if is_claim else OVERDUE_CSV_HEADER]
    for line in filing_or_notice.invoices:
        head = [
            filing_or_notice.reference,
            filing_or_notice.client_siren,
            filing_or_notice.client_name,
            line.number,
        ]
        if is_claim:
            rows.append(
                [
                    *head,
                    _french_date(line.issue_date),
                    _french_date(line.due_date),
                    _decimal_comma(line.unpaid_amount),
                    _french_date(filing_or_notice.declared_on),
                ]
            )
        else:
            rows.append([*head, _french_date(line.due_date), _decimal_comma(line.unpaid_amount)])
    text = io.StringIO()
    csv.writer(text, delimiter=";", lineterminator="\r\n").writerows(rows)
    return codecs.BOM_UTF8 + text.getvalue().encode("utf-8")


PDF_STYLE = """
@page { size: A4; margin: 2cm; }
body { font-family: sans-serif; font-size: 10pt; }
h1 { font-size: 15pt; }
table { border-collapse: collapse; width: 100%; margin-top: 1em; }
th, td { border: 1px solid #999; padding: 4px 6px; text-align: left; }
td.amount, th.amount { text-align: right; }
tfoot td { font-weight: bold; }
"""


def documents_pdf(filing_or_notice, *, company_name="", insurer_name="", policy_number=""):
    """The declaration or the claim as a one-page PDF in French: who declares, to which
    insurer, on which client, the unpaid invoices and their total."""
    is_claim = isinstance(filing_or_notice, ClaimFiling)
    title = "Déclaration de sinistre" if is_claim else "Déclaration de menace de sinistre"
    facts = [
        ("Assuré", company_name),
        ("Assureur", insurer_name),
        ("Police n°", policy_number),
        ("Référence", filing_or_notice.reference),
        ("Client (acheteur)", filing_or_notice.client_name),
        ("SIREN du client", filing_or_notice.client_siren),
    ]
    if is_claim:
        facts.append(("Déclaré le", _french_date(filing_or_notice.declared_on)))
    columns = ["N° facture", *(["Date de facture"] if is_claim else []), "Échéance"]
    facts_html = "".join(
        f"<dt>{escape(label)}</dt><dd>{escape(value)}</dd>" for label, value in facts if value
    )
    header = "".join(f"<th>{escape(name)}</th>" for name in columns)
    body = []
    for line in filing_or_notice.invoices:
        dates = [line.issue_date, line.due_date] if is_claim else [line.due_date]
        cells = [escape(line.number), *(_french_date(day) for day in dates)]
        body.append(
            "<tr>"
            + "".join(f"<td>{cell}</td>" for cell in cells)
            + f'<td class="amount">{escape(euros(line.unpaid_amount))}</td></tr>'
        )
    html = f"""<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>{escape(title)}</title>
<style>{PDF_STYLE}</style></head>
<body>
<h1>{escape(title)}</h1>
<dl>{facts_html}</dl>
<table>
<thead><tr>{header}<th class="amount">Montant impayé</th></tr></thead>
<tbody>{"".join(body)}</tbody>
<tfoot><tr><td colspan="{len(columns)}">Total</td>
<td class="amount">{escape(euros(filing_or_notice.total))}</td></tr></tfoot>
</table>
</body></html>"""
    return HTML(string=html).write_pdf()


class ManualConnector(Connector):
    """An insurer reached through its web portal by a person; `company_name`, `insurer_name`
    and `policy_number` head the PDF."""

    def __init__(self, *, company_name="", insurer_name="", policy_number=""):
        self.company_name = company_name
        self.insurer_name = insurer_name
        self.policy_number = policy_number

    def request_limit(self, request):
        """Pending until a person enters the insurer's decision."""
        return LimitDecision(reference=request.reference, status="pending", amount=Decimal("0.00"))

    def declare_overdue(self, notice):
        return self._to_send(notice)

    def file_claim(self, filing):
        return self._to_send(filing)

    def claim_status(self, reference):
        raise ConnectorError("entered by hand")

    def documents_csv(self, filing_or_notice):
        return documents_csv(filing_or_notice)

    def documents_pdf(self, filing_or_notice):
        return documents_pdf(
            filing_or_notice,
            company_name=self.company_name,
            insurer_name=self.insurer_name,
            policy_number=self.policy_number,
        )

    def _to_send(self, filing_or_notice):
        return Receipt(
            reference=filing_or_notice.reference,
            insurer_reference="",
            status=TO_SEND,
            detail="À déposer sur le portail de l'assureur (documents CSV et PDF).",
        )
