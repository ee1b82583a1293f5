"""What every connector to a plateforme agréée (PA) takes, returns and raises.

The platform reaches the company's PA the way AFNOR XP Z12-013 describes it: a Flow Service
(deposit an invoice, a lifecycle status or a payment report as a flow, read a flow and its
statuses, search the statuses that came since a moment) and a Directory Service (the
electronic address a SIREN receives its invoices on, and the PA behind it).

Plain frozen dataclasses, no Django model: the e-invoicing services translate their models
into these and the answers back. Money is always a Decimal, never a float. Each flow carries
the platform's own `reference`, unique per company: the PA takes it as the flow's tracking
id, so a flow sent again after a lost answer is recognised and never deposited twice.
"""

import abc
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple

from django.utils.module_loading import import_string

# The errors a connector raises are the same for every outside party.
from einvoicing.defaults import DEFAULT_SCHEME
from portage.connectors import ConnectorError, Refused, TemporaryFailure  # noqa: F401

# Lifecycle statuses (XP Z12-012, CDAR): code → French label, in the platform's words.
STATUSES = {
    "200": "Déposée",
    "201": "Émise par la plateforme",
    "202": "Reçue par la plateforme",
    "203": "Mise à disposition",
    "204": "Prise en charge",
    "205": "Approuvée",
    "206": "Approuvée partiellement",
    "207": "En litige",
    "208": "Suspendue",
    "209": "Complétée",
    "210": "Refusée",
    "211": "Paiement transmis",
    "212": "Encaissée",
    "213": "Rejetée",
}
# Who issues a status: the PAs (200 to 203, 213), the buyer (204 to 208, 210, 211) or the
# seller (209, 212).
SENDERS = ("platform", "buyer", "seller")
# What the PA says about a flow it was sent: "deposited" (it has it) or, from the manual
# connector, "to_upload" (a person still has to upload the file on the PA's portal).
RECEIPT_STATUSES = ("deposited", "to_upload")
# Syntaxes of an invoice flow (XP Z12-013 flowSyntax).
SYNTAXES = ("Factur-X", "CII", "UBL")
# Profiles of an invoice flow (XP Z12-013 flowProfile): Factur-X BASIC, EN 16931 (the CIUS) or
# EXTENDED with the French rules.
PROFILES = ("Basic", "CIUS", "Extended-CTC-FR")


def _require_money(value, name):
    if not isinstance(value, Decimal):
        raise TypeError(f"{name} must be a Decimal, not {type(value).__name__}")


def _require_choice(value, allowed, name):
    if value not in allowed:
        raise ValueError(f"{name} {value!r} is not one of {', '.join(allowed)}")


@dataclass(frozen=True)
class InvoiceFlow:
    """An invoice or credit note to deposit (flow type CustomerInvoice): the Factur-X PDF
    (or the CII XML alone) as bytes, with what the PA routes it by."""

    reference: str
    invoice_number: str
    issue_date: date
    seller_siren: str
    buyer_siren: str
    buyer_address: str
    filename: str
    content: bytes
    syntax: str = "Factur-X"
    profile: str = "CIUS"

    def __post_init__(self):
        _require_choice(self.syntax, SYNTAXES, "syntax")
        _require_choice(self.profile, PROFILES, "profile")


@dataclass(frozen=True)
class FlowReceipt:
    """The PA's answer to a flow it was sent: its own id for the flow (`flow_id`)."""

    reference: str
    flow_id: str
    status: str
    received_at: datetime | None = None
    detail: str = ""

    def __post_init__(self):
        _require_choice(self.status, RECEIPT_STATUSES, "status")


@dataclass(frozen=True)
class StatusEvent:
    """One lifecycle status of an invoice, as the PA tells it. `event_id` is the PA's id of
    the status message: the same event read twice (a poll and a webhook, a webhook sent
    again) has the same id, which is how it is recorded once. `amount` is the amount
    collected (212) or approved (206) when the status carries one."""

    event_id: str
    flow_id: str
    invoice_number: str
    code: str
    issued_at: datetime
    sender: str
    reason_code: str = ""
    reason_text: str = ""
    amount: Decimal | None = None
    reference: str = ""

    def __post_init__(self):
        _require_choice(self.code, STATUSES, "status code")
        _require_choice(self.sender, SENDERS, "sender")
        if self.amount is not None:
            _require_money(self.amount, "amount")


def _require_split(amounts_by_rate, amount, name):
    """(rate, amount) pairs of Decimals adding up to `amount`; returned as a tuple."""
    pairs = tuple((rate, part) for rate, part in amounts_by_rate)
    for rate, part in pairs:
        _require_money(rate, f"VAT rate of {name}")
        _require_money(part, f"amount at {rate} % of {name}")
    if pairs and sum(part for _rate, part in pairs) != amount:
        raise ValueError(f"the amounts per VAT rate of {name} do not add up to {amount}")
    return pairs


@dataclass(frozen=True)
class StatusMessage:
    """A lifecycle status the seller sends (flow type CustomerInvoiceLC): 212 Encaissée with
    the amount and date collected, the amount split by VAT rate (`amounts_by_rate`: (rate,
    amount) pairs adding up to `amount`, which a 212 must carry). A correction (an
    allocation undone) is a 212 whose amounts are negative and whose `corrects` names the
    reference of the status it corrects. `issued_at` is when the message was made: a
    message sent again is the same bytes. The invoice is named as the platform knows it: its
    number, issue date and type (UNTDID 1001: 380 invoice, 381 credit note); the buyer by its
    SIREN and its electronic address in the directory (with the address's scheme)."""

    reference: str
    invoice_number: str
    invoice_issue_date: date
    seller_siren: str
    buyer_siren: str
    code: str
    amount: Decimal
    collected_on: date
    issued_at: datetime
    amounts_by_rate: tuple[tuple[Decimal, Decimal], ...]
    invoice_type_code: str = "380"
    seller_name: str = ""
    buyer_name: str = ""
    buyer_address: str = ""
    buyer_address_scheme: str = DEFAULT_SCHEME
    currency: str = "EUR"
    corrects: str = ""

    def __post_init__(self):
        _require_choice(self.code, STATUSES, "status code")
        _require_money(self.amount, "amount")
        split = _require_split(self.amounts_by_rate, self.amount, self.reference)
        if self.code == "212" and not split:
            raise ValueError(f"the 212 {self.reference} states no amount per VAT rate")
        object.__setattr__(self, "amounts_by_rate", split)


@dataclass(frozen=True)
class DirectoryEntry:
    """What the directory (annuaire) says of a SIREN: the electronic address its invoices
    are sent to (BT-49, with its scheme), the PA that receives them, and the routing code
    (a service of the buyer) when it has one."""

    siren: str
    address: str
    scheme: str
    platform: str
    routing_code: str = ""
    siret: str = ""


class ReportedPayment(NamedTuple):
    """One payment collected in an e-reporting period: the invoice it paid, the day and the
    amount collected with VAT, and that amount split by VAT rate ((rate, amount) pairs, see
    rules.collected_by_rate; empty for a line built before the split was kept)."""

    invoice_number: str
    invoice_issue_date: date
    collected_on: date
    amount: Decimal
    currency: str = "EUR"
    amounts_by_rate: tuple[tuple[Decimal, Decimal], ...] = ()


@dataclass(frozen=True)
class PaymentReport:
    """The payment e-reporting of a period (flow type CustomerPaymentReport, CGI art. 290 A):
    the payments collected on invoices to individuals and foreign clients. `payments` holds
    ReportedPayment tuples (or plain tuples in that order)."""

    reference: str
    seller_siren: str
    period_start: date
    period_end: date
    payments: tuple[ReportedPayment, ...]
    total: Decimal

    def __post_init__(self):
        payments = []
        for fields in self.payments:
            payment = ReportedPayment(*fields)
            _require_money(payment.amount, f"amount collected on {payment.invoice_number}")
            split = _require_split(payment.amounts_by_rate, payment.amount, payment.invoice_number)
            payments.append(payment._replace(amounts_by_rate=split))
        payments = tuple(payments)
        _require_money(self.total, "total")
        object.__setattr__(self, "payments", payments)


class Connector(abc.ABC):
    """The company's PA, seen from the platform."""

    @abc.abstractmethod
    def submit_invoice(self, flow: InvoiceFlow) -> FlowReceipt:
        """Deposit an invoice or credit note (POST /flows, CustomerInvoice)."""

    @abc.abstractmethod
    def flow_statuses(self, flow_id: str) -> tuple[StatusEvent, ...]:
        """Every lifecycle status of the invoice deposited as `flow_id` (GET /flows/{id})."""

    @abc.abstractmethod
    def statuses_since(self, since: datetime) -> tuple[StatusEvent, ...]:
        """The lifecycle statuses the PA received or issued since `since`, for every invoice
        of the company (POST /flows/search): the catch-up when a webhook was missed."""

    @abc.abstractmethod
    def send_status(self, message: StatusMessage) -> FlowReceipt:
        """Send a lifecycle status of the seller's (POST /flows, CustomerInvoiceLC)."""

    @abc.abstractmethod
    def directory_lookup(self, siren: str) -> DirectoryEntry | None:
        """The directory entry of a SIREN, or None when the directory has none."""

    @abc.abstractmethod
    def send_payment_report(self, report: PaymentReport) -> FlowReceipt:
        """Send a period's payment e-reporting (POST /flows, CustomerPaymentReport)."""

    @abc.abstractmethod
    def parse_webhook(self, headers: dict, body: bytes) -> tuple[StatusEvent, ...]:
        """The statuses a webhook call of the PA carries, once its signature is checked
        (Refused when it is not the PA's)."""


CONNECTORS = {
    "manual": "einvoicing.connectors.manual.ManualConnector",
    "http": "einvoicing.connectors.http.HttpConnector",
}


def get_connector(kind, **config):
    """The connector of `kind` (a key of CONNECTORS), built from the company's settings."""
    try:
        path = CONNECTORS[kind]
    except KeyError:
        raise ValueError(f"unknown connector kind {kind!r}") from None
    return import_string(path)(**config)
