"""The manual connector: for a platform used through its web portal.

Every flow comes back "to_upload": a person uploads the file the platform keeps for it (the
invoice's Factur-X, a CSV of the statuses 212 or of the payment e-reporting) and enters the
statuses the portal shows. No directory look-up: the entry is read on the directory's site
and entered on the client's page."""

import codecs
import csv
import io

from einvoicing.connectors.base import Connector, FlowReceipt, Refused
from portage.money import to_cents

TO_UPLOAD = "to_upload"

STATUS_CSV_HEADER = [
    "Référence",
    "N° facture",
    "Date de facture",
    "SIREN vendeur",
    "SIREN acheteur",
    "Statut",
    "Montant encaissé (EUR)",
    "Date d'encaissement",
    "Corrige",
]
REPORT_CSV_HEADER = [
    "Référence",
    "SIREN vendeur",
    "Période du",
    "Période au",
    "N° facture",
    "Date de facture",
    "Date d'encaissement",
    "Montant encaissé (EUR)",
]


def _decimal_comma(amount):
    return str(to_cents(amount)).replace(".", ",")


def _french_date(day):
    return f"{day:%d/%m/%Y}"


def _csv(rows):
    """Semicolons, UTF-8 with a BOM (so French Excel reads the accents), CR LF."""
    text = io.StringIO()
    csv.writer(text, delimiter=";", lineterminator="\r\n").writerows(rows)
    return codecs.BOM_UTF8 + text.getvalue().encode("utf-8")


def status_csv(message):
    """A status 212 (or its correction), as one line to import on the platform's portal."""
    return _csv(
        [
            STATUS_CSV_HEADER,
            [
                message.reference,
                message.invoice_number,
                _french_date(message.invoice_issue_date),
                message.seller_siren,
                message.buyer_siren,
                message.code,
                _decimal_comma(message.amount),
                _french_date(message.collected_on),
                message.corrects,
            ],
        ]
    )


def payment_report_csv(report):
    """A period's payment e-reporting, one line per payment collected."""
    head = [
        report.reference,
        report.seller_siren,
        _french_date(report.period_start),
        _french_date(report.period_end),
    ]
    return _csv(
        [REPORT_CSV_HEADER]
        + [
            [
                *head,
                payment.invoice_number,
                _french_date(payment.invoice_issue_date),
                _french_date(payment.collected_on),
                _decimal_comma(payment.amount),
            ]
            for payment in report.payments
        ]
    )


class ManualConnector(Connector):
    def submit_invoice(self, flow):
        return FlowReceipt(reference=flow.reference, flow_id="", status=TO_UPLOAD)

    def flow_statuses(self, flow_id):
        return ()

    def statuses_since(self, since):
        return ()

    def send_status(self, message):
        return FlowReceipt(reference=message.reference, flow_id="", status=TO_UPLOAD)

    def directory_lookup(self, siren):
        return None

    def send_payment_report(self, report):
        return FlowReceipt(reference=report.reference, flow_id="", status=TO_UPLOAD)

    def parse_webhook(self, headers, body):
        raise Refused("a platform used through its portal sends no webhook")
