"""Connectors to the company's plateforme agréée: one interface (base.Connector), a manual
connector for a PA used through its portal and an HTTP connector for a PA's XP Z12-013 API."""

from einvoicing.connectors.base import (
    CONNECTORS,
    PROFILES,
    RECEIPT_STATUSES,
    SENDERS,
    STATUSES,
    SYNTAXES,
    Connector,
    ConnectorError,
    DirectoryEntry,
    FlowReceipt,
    InvoiceFlow,
    PaymentReport,
    Refused,
    ReportedPayment,
    StatusEvent,
    StatusMessage,
    TemporaryFailure,
    get_connector,
)

__all__ = [
    "CONNECTORS",
    "PROFILES",
    "RECEIPT_STATUSES",
    "SENDERS",
    "STATUSES",
    "SYNTAXES",
    "Connector",
    "ConnectorError",
    "DirectoryEntry",
    "FlowReceipt",
    "InvoiceFlow",
    "PaymentReport",
    "Refused",
    "ReportedPayment",
    "StatusEvent",
    "StatusMessage",
    "TemporaryFailure",
    "get_connector",
]
