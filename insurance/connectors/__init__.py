"""Insurer connectors: one interface (base.Connector), a manual connector for insurers
reached through their web portal and an HTTP connector for insurers with an API."""

from insurance.connectors.base import (
    CLAIM_STATUSES,
    CONNECTORS,
    LIMIT_STATUSES,
    ClaimedInvoice,
    ClaimFiling,
    ClaimStatus,
    Connector,
    ConnectorError,
    LimitDecision,
    LimitRequest,
    OverdueInvoice,
    OverdueNotice,
    Receipt,
    Refused,
    TemporaryFailure,
    get_connector,
)

__all__ = [
    "CLAIM_STATUSES",
    "CONNECTORS",
    "LIMIT_STATUSES",
    "ClaimFiling",
    "ClaimStatus",
    "ClaimedInvoice",
    "Connector",
    "ConnectorError",
    "LimitDecision",
    "LimitRequest",
    "OverdueInvoice",
    "OverdueNotice",
    "Receipt",
    "Refused",
    "TemporaryFailure",
    "get_connector",
]
