"""The manual connector: for a plateforme agréée used through its web portal.

Invoices, statuses and payment reports come back "to_upload": a person uploads the Factur-X
file the platform keeps, or the CSV this module makes for a status (212 Encaissée) or a
payment e-reporting, on the PA's portal. The statuses the PA shows and the directory entry
of a client are entered by hand, so nothing is read from here.
"""

import codecs
import csv
import io

from einvoicing.connectors.base import STATUSES, Connector, FlowReceipt, Refused
from portage.money import to_cents

TO_UPLOAD = "to_upload"

STATUS_CSV_HEADER = [
    "Référence",
    "N° facture",
    "Date de facture",
    "SIREN vendeur",
    "SIREN acheteur",
    "Code statut",
    "Statut",
    "Montant encaissé",
    "Taux de TVA",
    "Montant encaissé au taux",
    "Devise",
    "Date d'encaissement",
    "Corrige la référence",
]
PAYMENT_REPORT_CSV_HEADER = [
    "Référence",
    "SIREN vendeur",
    "Début de période",
    "Fin de période",
    "N° facture",
    "Date de facture",
    "Date d'encaissement",
    "Montant encaissé TTC",
    "Devise",
]


def _decimal_comma(amount):
    return str(to_cents(amount)).replace(".", ",")


def _french_date(day):
    return f"{day:%d/%m/%Y}"


def _csv(rows):
    """Semicolons, UTF-8 with a BOM (so French Excel reads the accents)."""
    text = io.StringIO()
    csv.writer(text, delimiter=";", lineterminator="\r\n").writerows(rows)
    return codecs.BOM_UTF8 + text.getvalue().encode("utf-8")


def status_csv(message):
    """The status message (a 212, or its correction with negative amounts) for the portal:
    one row per VAT rate, each with the message's total and the amount collected at that
    rate; decimal comma, dates as DD/MM/YYYY."""
    rows = [STATUS_CSV_HEADER]
    for rate, amount in message.amounts_by_rate:
        rows.append(
            [
                message.reference,
                message.invoice_number,
                _french_date(message.invoice_issue_date),
                message.seller_siren,
                message.buyer_siren,
                message.code,
                STATUSES[message.code],
                _decimal_comma(message.amount),
                _decimal_comma(rate),
                _decimal_comma(amount),
                message.currency,
                _french_date(message.collected_on),
                message.corrects,
            ]
        )
    return _csv(rows)


def payment_report_csv(report):
    """The period's payment e-reporting, one row per payment collected: decimal comma,
    dates as DD/MM/YYYY."""
    rows = [PAYMENT_REPORT_CSV_HEADER]
    for payment in report.payments:
        rows.append(
            [
                report.reference,
                report.seller_siren,
                _french_date(report.period_start),
                _french_date(report.period_end),
                payment.invoice_number,
                _french_date(payment.invoice_issue_date),
                _french_date(payment.collected_on),
                _decimal_comma(payment.amount),
                payment.currency,
            ]
        )
    return _csv(rows)


class ManualConnector(Connector):
    """A PA reached through its web portal by a person."""

    def submit_invoice(self, flow):
        return _to_upload(flow.reference, "la facture (fichier Factur-X)")

    def send_status(self, message):
        return _to_upload(message.reference, "le statut (fichier CSV)")

    def send_payment_report(self, report):
        return _to_upload(report.reference, "l'e-reporting des paiements (fichier CSV)")

    def flow_statuses(self, flow_id):
        """Entered by a person, as the portal shows them."""
        return ()

    def statuses_since(self, since):
        """Entered by a person, as the portal shows them."""
        return ()

    def directory_lookup(self, siren):
        """Entered by a person, as the directory's site shows it."""
        return None

    def parse_webhook(self, headers, body):
        raise Refused("a platform used through its portal sends no webhook", status_code=404)


def _to_upload(reference, what):
    return FlowReceipt(
        reference=reference,
        flow_id="",
        status=TO_UPLOAD,
        detail=f"À déposer sur le portail de la plateforme agréée : {what}.",
    )
