"""What every insurer connector takes, returns and raises.

Plain frozen dataclasses, no Django model: the insurance services translate their models
into these and the answers back. Money is always a Decimal, never a float.
"""

import abc
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple

from django.utils.module_loading import import_string

# The errors a connector raises are the same for every outside party.
from portage.connectors import ConnectorError, Refused, TemporaryFailure  # noqa: F401

LIMIT_STATUSES = ("granted", "partial", "refused", "pending")
CLAIM_STATUSES = (
    "filed",
    "acknowledged",
    "indemnified",
    "partially_indemnified",
    "rejected",
    "closed",
)


def _require_money(value, name):
    if not isinstance(value, Decimal):
        raise TypeError(f"{name} must be a Decimal, not {type(value).__name__}")


def _require_status(value, allowed):
    if value not in allowed:
        raise ValueError(f"status {value!r} is not one of {', '.join(allowed)}")


class OverdueInvoice(NamedTuple):
    """One unpaid invoice of an overdue declaration."""

    number: str
    due_date: date
    unpaid_amount: Decimal


class ClaimedInvoice(NamedTuple):
    """One unpaid invoice of a claim."""

    number: str
    issue_date: date
    due_date: date
    unpaid_amount: Decimal


@dataclass(frozen=True)
class LimitRequest:
    """A credit limit request (demande d'agrément) for one client."""

    reference: str
    client_siren: str
    client_name: str
    client_country: str
    amount: Decimal
    currency: str = "EUR"

    def __post_init__(self):
        _require_money(self.amount, "amount")


@dataclass(frozen=True)
class LimitDecision:
    """The insurer's answer to a limit request (agrément): `amount` is what it grants.
    `grade_scale` names the insurer's scale, since scales run in opposite directions
    (Allianz Trade 1 = best, Coface 10 = best)."""

    reference: str
    status: str
    amount: Decimal
    grade: str = ""
    grade_scale: str = ""
    valid_from: date | None = None
    valid_until: date | None = None
    insurer_reference: str = ""

    def __post_init__(self):
        _require_status(self.status, LIMIT_STATUSES)
        _require_money(self.amount, "amount")


@dataclass(frozen=True)
class OverdueNotice:
    """An overdue declaration (déclaration de menace de sinistre). `invoices` holds
    (number, due_date, unpaid_amount) tuples; they are kept as OverdueInvoice."""

    reference: str
    client_siren: str
    client_name: str
    invoices: tuple[OverdueInvoice, ...]
    total: Decimal

    def __post_init__(self):
        invoices = tuple(OverdueInvoice(*line) for line in self.invoices)
        for line in invoices:
            _require_money(line.unpaid_amount, f"unpaid amount of {line.number}")
        _require_money(self.total, "total")
        object.__setattr__(self, "invoices", invoices)


@dataclass(frozen=True)
class ClaimFiling:
    """A claim (déclaration de sinistre). `invoices` holds
    (number, issue_date, due_date, unpaid_amount) tuples; they are kept as ClaimedInvoice."""

    reference: str
    client_siren: str
    client_name: str
    invoices: tuple[ClaimedInvoice, ...]
    total: Decimal
    declared_on: date

    def __post_init__(self):
        invoices = tuple(ClaimedInvoice(*line) for line in self.invoices)
        for line in invoices:
            _require_money(line.unpaid_amount, f"unpaid amount of {line.number}")
        _require_money(self.total, "total")
        object.__setattr__(self, "invoices", invoices)


@dataclass(frozen=True)
class Receipt:
    """What the insurer says about a declaration or a claim it was sent: "received" (it has
    it), or "to_send" from the manual connector (a person still has to upload it)."""

    reference: str
    insurer_reference: str
    status: str
    received_at: datetime | None = None
    detail: str = ""


@dataclass(frozen=True)
class ClaimStatus:
    """Where the insurer stands on a claim: the indemnity once paid, the reason if rejected."""

    reference: str
    insurer_reference: str
    status: str
    indemnity_amount: Decimal | None = None
    paid_on: date | None = None
    reason: str = ""

    def __post_init__(self):
        _require_status(self.status, CLAIM_STATUSES)
        if self.indemnity_amount is not None:
            _require_money(self.indemnity_amount, "indemnity_amount")


class Connector(abc.ABC):
    """One insurer, seen from the platform. Each call carries the platform's own `reference`
    for the request, declaration or claim, unique per insurer."""

    @abc.abstractmethod
    def request_limit(self, request: LimitRequest) -> LimitDecision:
        """Ask for a credit limit on a client."""

    @abc.abstractmethod
    def declare_overdue(self, notice: OverdueNotice) -> Receipt:
        """Declare a client's overdue invoices (menace de sinistre)."""

    @abc.abstractmethod
    def file_claim(self, filing: ClaimFiling) -> Receipt:
        """File a claim (sinistre) for a client's unpaid invoices."""

    @abc.abstractmethod
    def claim_status(self, reference: str) -> ClaimStatus:
        """Where the insurer stands on the claim filed under `reference`."""


CONNECTORS = {
    "manual": "insurance.connectors.manual.ManualConnector",
    "http": "insurance.connectors.http.HttpConnector",
}


def get_connector(kind, **config):
    """The connector of `kind` (a key of CONNECTORS), built from the insurer's settings."""
    try:
        path = CONNECTORS[kind]
    except KeyError:
        raise ValueError(f"unknown connector kind {kind!r}") from None
    return import_string(path)(**config)
