"""The HTTP connector: an insurer's JSON API over HTTPS.

The contract (the local simulator in tests/insurance/simulator.py plays the insurer):

Endpoints, relative to the insurer's base URL:
    POST /limits               a LimitRequest      → 201 with a LimitDecision
    POST /overdues             an OverdueNotice    → 201 with a Receipt
    POST /claims               a ClaimFiling       → 201 with a Receipt
    GET  /claims/{reference}                       → 200 with a ClaimStatus

Bodies are JSON objects whose keys are the dataclasses' field names. Money is a string with
a decimal point ("1234.50"), never a JSON number; dates are "YYYY-MM-DD", datetimes ISO 8601
with their offset. `invoices` is a list of objects keyed like OverdueInvoice / ClaimedInvoice.

Headers on every request:
    X-Api-Key          the account's key
    X-Timestamp        Unix time in seconds, when the request was signed
    X-Signature        hex HMAC-SHA256(secret, timestamp + "." + body); the body is empty on GET
and on every POST:
    Idempotency-Key    the filing's `reference`
Each attempt is signed again (a fresh timestamp) over the same body bytes. Signing and
retrying are portage.connectors.SignedClient's.

Answers:
    2xx                 the result.
    409                 "already received": the key was used before with the same body; the
                        body is the first answer, unchanged (same insurer_reference), so it is
                        taken as the result. A retry after a lost answer thus files nothing new.
    other 3xx, 4xx      refused: {"error": "<reason>"}. Raised as Refused, never retried
                        (401: bad key, signature or timestamp; 422: the same key was used with
                        a different body).
    5xx, 429, timeout,  retried with the same body and key after backoff[0], backoff[1], ...
    connection error    (the last delay repeats), at most max_attempts tries in all; then
                        TemporaryFailure.
"""

import json
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from urllib.parse import quote

from insurance.connectors.base import (
    ClaimStatus,
    Connector,
    ConnectorError,
    LimitDecision,
    Receipt,
    Refused,
)
from portage.connectors import (
    ALREADY_RECEIVED,
    SignedClient,
    address_allowed,
    answer_reason,
    succeeded,
)

REASON_KEYS = ("error", "detail")


def _money(amount):
    return format(amount, "f")


def _day(day):
    return day.isoformat() if day else None


def limit_request_json(request):
    return {
        "reference": request.reference,
        "client_siren": request.client_siren,
        "client_name": request.client_name,
        "client_country": request.client_country,
        "amount": _money(request.amount),
        "currency": request.currency,
    }


def overdue_notice_json(notice):
    return {
        "reference": notice.reference,
        "client_siren": notice.client_siren,
        "client_name": notice.client_name,
        "invoices": [
            {
                "number": line.number,
                "due_date": _day(line.due_date),
                "unpaid_amount": _money(line.unpaid_amount),
            }
            for line in notice.invoices
        ],
        "total": _money(notice.total),
    }


def claim_filing_json(filing):
    return {
        "reference": filing.reference,
        "client_siren": filing.client_siren,
        "client_name": filing.client_name,
        "invoices": [
            {
                "number": line.number,
                "issue_date": _day(line.issue_date),
                "due_date": _day(line.due_date),
                "unpaid_amount": _money(line.unpaid_amount),
            }
            for line in filing.invoices
        ],
        "total": _money(filing.total),
        "declared_on": _day(filing.declared_on),
    }


def _parse_money(value):
    if not isinstance(value, str):
        raise ValueError(f"money must be a string, not {value!r}")
    return Decimal(value)


def _parse_day(value):
    return date.fromisoformat(value) if value else None


def _parse_moment(value):
    return datetime.fromisoformat(value) if value else None


def _limit_decision(body):
    return LimitDecision(
        reference=body["reference"],
        status=body["status"],
        amount=_parse_money(body["amount"]),
        grade=body.get("grade") or "",
        grade_scale=body.get("grade_scale") or "",
        valid_from=_parse_day(body.get("valid_from")),
        valid_until=_parse_day(body.get("valid_until")),
        insurer_reference=body.get("insurer_reference") or "",
    )


def _receipt(body):
    return Receipt(
        reference=body["reference"],
        insurer_reference=body["insurer_reference"],
        status=body["status"],
        received_at=_parse_moment(body.get("received_at")),
        detail=body.get("detail") or "",
    )


def _claim_status(body):
    indemnity = body.get("indemnity_amount")
    return ClaimStatus(
        reference=body["reference"],
        insurer_reference=body["insurer_reference"],
        status=body["status"],
        indemnity_amount=None if indemnity is None else _parse_money(indemnity),
        paid_on=_parse_day(body.get("paid_on")),
        reason=body.get("reason") or "",
    )


def _reason(response):
    return answer_reason(response, REASON_KEYS)


class HttpConnector(Connector):
    """An insurer's API, as described in this module's docstring. `sending` (timeout,
    max_attempts, backoff, sleep, clock) says how requests are sent and retried:
    portage.connectors.SignedClient, whose defaults apply."""

    def __init__(self, base_url, api_key, secret, **sending):
        if not address_allowed(base_url):
            raise ValueError("the insurer's API is reached over HTTPS")
        self.client = SignedClient(
            key_headers={"X-Api-Key": api_key}, secret=secret, reason_keys=REASON_KEYS, **sending
        )
        self.base_url = base_url.rstrip("/")

    def request_limit(self, request):
        return self._post("/limits", limit_request_json(request), _limit_decision)

    def declare_overdue(self, notice):
        return self._post("/overdues", overdue_notice_json(notice), _receipt)

    def file_claim(self, filing):
        return self._post("/claims", claim_filing_json(filing), _receipt)

    def claim_status(self, reference):
        path = f"/claims/{quote(reference, safe='')}"
        response = self.client.send("GET", self.base_url, path, b"", {})
        if succeeded(response):
            return self._decode(response, _claim_status, reference)
        raise Refused(_reason(response), status_code=response.status_code)

    def _post(self, path, payload, decode):
        reference = payload["reference"]
        body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
        headers = {"Content-Type": "application/json", "Idempotency-Key": reference}
        response = self.client.send("POST", self.base_url, path, body, headers)
        if succeeded(response):
            return self._decode(response, decode, reference)
        if response.status_code == ALREADY_RECEIVED:
            try:
                return self._decode(response, decode, reference)
            except ConnectorError:
                pass  # a conflict that is not a replay: the insurer's reason says which
        raise Refused(_reason(response), status_code=response.status_code)

    def _decode(self, response, decode, reference):
        try:
            result = decode(response.json())
        except (ValueError, KeyError, TypeError, AttributeError, InvalidOperation) as error:
            raise ConnectorError(f"unexpected answer from the insurer: {error}") from error
        if result.reference != reference:
            raise ConnectorError(
                f"the insurer answered about {result.reference!r}, not {reference!r}"
            )
        return result
