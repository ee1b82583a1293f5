"""The HTTP connector: a plateforme agréée's API, AFNOR XP Z12-013 (Flow and Directory services).

The paths, the flowInfo, the flow resource and the search follow XP Z12-013 as its public
OpenAPI renderings give them; what the standard leaves to each PA (authentication, the
unicity of trackingId, webhooks, a JSON view of lifecycle statuses) is this contract's own
choice, marked "(ours)". The local simulator in tests/einvoicing/simulator.py plays the PA.

Flow Service, relative to `base_url`:
    POST /flows            multipart/form-data, two parts:
                             flowInfo  application/json: {"trackingId": our reference,
                                       "name": the file name, "flowSyntax", "flowProfile"
                                       (invoices only), "processingRule": "B2B", "sha256": hex
                                       SHA-256 of the file}
                             file      the file itself
                           → 202 (any 2xx) with the flow: {"flowId", "trackingId", "name",
                             "flowType", "flowDirection": "Out", "flowSyntax", "flowProfile",
                             "processingRule", "sha256", "submittedAt", "updatedAt",
                             "acknowledgement": {"status": "Pending" | "Ok" | "Error",
                             "details": [...]}}
    GET  /flows/{flowId}   → 200 with the flow (docType Metadata, the default)
    POST /flows/search     {"where": {"updatedAfter": ISO 8601, "flowType": [...],
                           "flowDirection": [...]}, "limit": 100}
                           → 200 {"limit", "filters", "results": [flow, ...]}, oldest first;
                           a full page is followed by the next one, from the last updatedAt
                           (the comparison is strict: updatedAt > updatedAfter).

The three flows the platform sends, by their file:
    an invoice             flowSyntax "Factur-X" (or "CII", "UBL"), flowProfile "CIUS" (EN
                           16931) unless the invoice says otherwise; the PA types it
                           CustomerInvoice.
    a seller's status      flowSyntax "CDAR"; the PA types it CustomerInvoiceLC. The file is
                           the CDAR D22B message of XP Z12-012 (the "CDV" of the DGFiP
                           external specifications, flux 6), XML named <trackingId>.xml, built
                           by einvoicing/cdar.py (whose docstring lists each element): the
                           invoice by its number (MDT-87), issue date (MDG-35) and type code
                           (MDT-91), the seller's and buyer's SIRENs, status 212 (MDT-105), the
                           day collected, and one amount collected (MEN, MDT-215) per VAT rate
                           (MDT-224). A correction is a 212 whose amounts are negative and
                           whose status note (ours) names the ID (MDT-4) of the 212 it
                           corrects.
    a payment e-reporting  flowSyntax "FRR"; the PA types it UnitaryCustomerPaymentReport
                           (FRR 10.2). The file here is JSON (ours): {"sellerSiren",
                           "periodStart", "periodEnd", "payments": [{"invoiceId",
                           "invoiceIssueDate", "collectedOn", "amount", "amountsByRate":
                           [{"rate", "amount"}] (adding up to "amount"; empty for a line
                           built before the split was kept), "currency"}], "total"}.
                           A real PA expects the e-reporting XML of the DGFiP external
                           specifications (flux 10, the payments report: per invoice, the
                           date and the amount collected per VAT rate): not produced here.

Lifecycle statuses reach the seller as CustomerInvoiceLC flows of direction "In", each one
status message. Their JSON view (ours, what the CDAR says) is the flow's "lifecycle" object:
    {"invoiceFlowId", "invoiceTrackingId", "invoiceId", "statusCode", "issuedAt",
     "sender": "platform" | "buyer" | "seller", "reasonCode", "reasonText",
     "amount" (or null), "currency"}
The flow's flowId is the status's event id. An invoice flow read with GET carries "lifecycle"
(ours) too: the list of those it received, each with its "flowId". Codes the platform does not
know (225 Affacturée, ...) are left out rather than stopping the reading.

A PA publishes the two services under their own roots, e.g. https://api.pa.example/afnor-flow/v1
(`base_url`) and https://api.pa.example/afnor-directory/v1 (`directory_url`).

Directory Service, relative to `directory_url` (default `base_url`):
    GET  /siren/code-insee:{siren}   → 200 {"siren", "businessName", "entityType", ...};
                                       404: the SIREN is not in the directory → None.
    POST /directory-line/search      {"filters": {"siren": {"op": "strict", "value": siren}},
                                     "limit": 100, "ignore": 0}
                                     → 200 {"totalNumberOfResults", "results": [line, ...]}
                                     (204: no line → None). A line: {"addressingIdentifier"
                                     (the electronic address), "siren", "siret",
                                     "addressingSuffix", "routingCode": {"routingIdentifier",
                                     "routingIdentifierType": "0224", "routingCodeName"},
                                     "platform": {"platformType", "platformStatus",
                                     "platformId" (ours: the PA's registration number)},
                                     "addressingIdentifierScheme" (ours; "0225" when absent),
                                     "directoryLineStatus": "Enabled" | "Upcoming" |
                                     "Disabled"}. The entry is the enabled line of the SIREN
                                     itself (no SIRET, suffix or routing code) when there is
                                     one, else the first enabled line.

Headers on every request (ours):
    Authorization      "Bearer " + the account's API key
    X-Timestamp        Unix time in seconds, when the request was signed
    X-Signature        hex HMAC-SHA256(secret, timestamp + "." + body); the body is empty on GET
Each attempt is signed again (a fresh timestamp) over the same body bytes (one multipart
boundary per flow). Signing and retrying are portage.connectors.SignedClient's.

Answers:
    2xx                 the result.
    409                 (ours) the trackingId was used before for the same file (same sha256):
                        the body is the first flow, unchanged (same flowId), taken as the
                        result. A retry after a lost answer thus deposits nothing new.
    other 3xx, 4xx      refused: {"type", "status", "message", "details"}. Raised as Refused,
                        never retried (401: bad key, signature or timestamp; 422: the
                        trackingId was used for another file).
    5xx, 429, timeout,  retried with the same body after backoff[0], backoff[1], ... (the last
    connection error    delay repeats), at most max_attempts tries in all; then
                        TemporaryFailure.

Webhooks (ours: XP Z12-013 leaves their security to the PA): the PA posts to the company's
address {"eventId", "flowInfo": an LC flow as above}, with the X-Timestamp and X-Signature
headers computed as above with the same secret. `parse_webhook` refuses a wrong signature or
a timestamp more than 5 minutes away from now.
"""

import hashlib
import hmac
import json
import secrets
from datetime import datetime
from decimal import Decimal, InvalidOperation
from urllib.parse import quote

from urllib3.fields import RequestField
from urllib3.filepost import encode_multipart_formdata

from einvoicing.cdar import status_message_xml
from einvoicing.connectors.base import (
    STATUSES,
    Connector,
    ConnectorError,
    DirectoryEntry,
    FlowReceipt,
    Refused,
    StatusEvent,
)
from einvoicing.defaults import DEFAULT_SCHEME
from portage.connectors import (
    ALREADY_RECEIVED,
    SignedClient,
    address_allowed,
    answer_reason,
    sign,
    succeeded,
)

NOT_FOUND = 404
NO_CONTENT = 204
WEBHOOK_MAX_SKEW = 300
SEARCH_LIMIT = 100
LIFECYCLE_FLOW_TYPE = "CustomerInvoiceLC"
PROCESSING_RULE = "B2B"
REASON_KEYS = ("message", "errorMessage", "details", "error")


def _money(amount):
    return format(amount, "f")


def _json_bytes(payload):
    return json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()


def payment_report_json(report):
    return {
        "sellerSiren": report.seller_siren,
        "periodStart": report.period_start.isoformat(),
        "periodEnd": report.period_end.isoformat(),
        "payments": [
            {
                "invoiceId": payment.invoice_number,
                "invoiceIssueDate": payment.invoice_issue_date.isoformat(),
                "collectedOn": payment.collected_on.isoformat(),
                "amount": _money(payment.amount),
                "amountsByRate": [
                    {"rate": _money(rate), "amount": _money(amount)}
                    for rate, amount in payment.amounts_by_rate
                ],
                "currency": payment.currency,
            }
            for payment in report.payments
        ],
        "total": _money(report.total),
    }


def _parse_money(value):
    if not isinstance(value, str):
        raise ValueError(f"money must be a string, not {value!r}")
    return Decimal(value)


def _parse_moment(value):
    return datetime.fromisoformat(value) if value else None


def _receipt(flow, reference):
    if flow["trackingId"] != reference:
        raise ConnectorError(
            f"the platform answered about {flow['trackingId']!r}, not {reference!r}"
        )
    acknowledgement = flow.get("acknowledgement") or {}
    return FlowReceipt(
        reference=reference,
        flow_id=flow["flowId"],
        status="deposited",
        received_at=_parse_moment(flow.get("submittedAt")),
        detail=acknowledgement.get("status") or "",
    )


def _status_event(lifecycle, event_id):
    """The StatusEvent a lifecycle JSON view tells, or None for a code the platform does not
    know."""
    if lifecycle["statusCode"] not in STATUSES:
        return None
    amount = lifecycle.get("amount")
    return StatusEvent(
        event_id=event_id,
        flow_id=lifecycle["invoiceFlowId"],
        invoice_number=lifecycle.get("invoiceId") or "",
        code=lifecycle["statusCode"],
        issued_at=datetime.fromisoformat(lifecycle["issuedAt"]),
        sender=lifecycle["sender"],
        reason_code=lifecycle.get("reasonCode") or "",
        reason_text=lifecycle.get("reasonText") or "",
        amount=None if amount is None else _parse_money(amount),
        reference=lifecycle.get("invoiceTrackingId") or "",
    )


def _events_of_lc_flows(flows):
    events = (
        _status_event(flow["lifecycle"], flow["flowId"])
        for flow in flows
        if flow.get("flowType") == LIFECYCLE_FLOW_TYPE and flow.get("lifecycle")
    )
    return tuple(event for event in events if event is not None)


def _directory_entry(siren, lines):
    enabled = [line for line in lines if line.get("directoryLineStatus") == "Enabled"]
    if not enabled:
        return None
    own = [
        line
        for line in enabled
        if not (line.get("siret") or line.get("addressingSuffix") or line.get("routingCode"))
    ]
    line = (own or enabled)[0]
    if line.get("siren") != siren:
        raise ConnectorError(f"the directory answered about {line.get('siren')!r}, not {siren!r}")
    platform = line.get("platform") or {}
    routing = line.get("routingCode") or {}
    return DirectoryEntry(
        siren=siren,
        address=line["addressingIdentifier"],
        scheme=line.get("addressingIdentifierScheme") or DEFAULT_SCHEME,
        platform=platform.get("platformId") or "",
        routing_code=routing.get("routingIdentifier") or "",
        siret=line.get("siret") or "",
    )


def _reason(response):
    return answer_reason(response, REASON_KEYS)


def _header(headers, name):
    """A header of a webhook call, whatever the case of its name."""
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return ""


class HttpConnector(Connector):
    """A PA's XP Z12-013 API, as described in this module's docstring. `sending` (timeout,
    max_attempts, backoff, sleep, clock) says how requests are sent and retried:
    portage.connectors.SignedClient, whose defaults apply."""

    def __init__(self, base_url, api_key, secret, directory_url="", **sending):
        for url in (base_url, directory_url or base_url):
            if not address_allowed(url):
                raise ValueError("the platform's API is reached over HTTPS")
        self.client = SignedClient(
            key_headers={"Authorization": f"Bearer {api_key}"},
            secret=secret,
            reason_keys=REASON_KEYS,
            **sending,
        )
        self.base_url = base_url.rstrip("/")
        self.directory_url = (directory_url or base_url).rstrip("/")

    def submit_invoice(self, flow):
        info = {"flowSyntax": flow.syntax, "flowProfile": flow.profile}
        return self._deposit(flow.reference, flow.filename, flow.content, info)

    def send_status(self, message):
        content = status_message_xml(message)
        filename = f"{message.reference}.xml"
        return self._deposit(message.reference, filename, content, {"flowSyntax": "CDAR"})

    def send_payment_report(self, report):
        content = _json_bytes(payment_report_json(report))
        filename = f"{report.reference}.json"
        return self._deposit(report.reference, filename, content, {"flowSyntax": "FRR"})

    def flow_statuses(self, flow_id):
        response = self.client.send(
            "GET", self.base_url, f"/flows/{quote(flow_id, safe='')}", b"", {}
        )
        if not succeeded(response):
            raise Refused(_reason(response), status_code=response.status_code)
        flow = self._json(response)
        try:
            if flow["flowId"] != flow_id:
                raise ConnectorError(f"the platform answered about {flow['flowId']!r}")
            events = (
                _status_event({**lifecycle, "invoiceFlowId": flow_id}, lifecycle["flowId"])
                for lifecycle in flow.get("lifecycle") or ()
            )
            return tuple(event for event in events if event is not None)
        except (ValueError, KeyError, TypeError, AttributeError, InvalidOperation) as error:
            raise ConnectorError(f"unexpected answer from the platform: {error}") from error

    def statuses_since(self, since):
        events = []
        after = since.isoformat()
        while True:
            query = {
                "where": {
                    "updatedAfter": after,
                    "flowType": [LIFECYCLE_FLOW_TYPE],
                    "flowDirection": ["In"],
                },
                "limit": SEARCH_LIMIT,
            }
            body = _json_bytes(query)
            headers = {"Content-Type": "application/json"}
            response = self.client.send("POST", self.base_url, "/flows/search", body, headers)
            if not succeeded(response):
                raise Refused(_reason(response), status_code=response.status_code)
            try:
                results = self._json(response)["results"]
                events.extend(_events_of_lc_flows(results))
                last = results[-1]["updatedAt"] if results else after
            except (ValueError, KeyError, TypeError, AttributeError, InvalidOperation) as error:
                raise ConnectorError(f"unexpected answer from the platform: {error}") from error
            # A page not full is the last one; a full page that does not move on would loop.
            if len(results) < SEARCH_LIMIT or last == after:
                return tuple(events)
            after = last

    def directory_lookup(self, siren):
        path = f"/siren/code-insee:{quote(siren, safe='')}"
        response = self.client.send("GET", self.directory_url, path, b"", {})
        if response.status_code == NOT_FOUND:
            return None
        if not succeeded(response):
            raise Refused(_reason(response), status_code=response.status_code)
        query = {
            "filters": {"siren": {"op": "strict", "value": siren}},
            "limit": SEARCH_LIMIT,
            "ignore": 0,
        }
        response = self.client.send(
            "POST",
            self.directory_url,
            "/directory-line/search",
            _json_bytes(query),
            {"Content-Type": "application/json"},
        )
        if response.status_code in (NO_CONTENT, NOT_FOUND):
            return None
        if not succeeded(response):
            raise Refused(_reason(response), status_code=response.status_code)
        try:
            return _directory_entry(siren, self._json(response)["results"])
        except (KeyError, TypeError, AttributeError) as error:
            raise ConnectorError(f"unexpected answer from the directory: {error}") from error

    def parse_webhook(self, headers, body):
        timestamp = _header(headers, "X-Timestamp")
        if not timestamp.isdigit() or abs(self.client.clock() - int(timestamp)) > WEBHOOK_MAX_SKEW:
            raise Refused("missing or stale timestamp", status_code=401)
        expected = sign(self.client.secret, timestamp, body)
        if not hmac.compare_digest(expected, _header(headers, "X-Signature")):
            raise Refused("invalid signature", status_code=401)
        try:
            return _events_of_lc_flows([json.loads(body)["flowInfo"]])
        except (ValueError, KeyError, TypeError, AttributeError, InvalidOperation) as error:
            raise ConnectorError(f"unexpected webhook from the platform: {error}") from error

    def _deposit(self, reference, filename, content, info):
        flow_info = {
            **info,
            "trackingId": reference,
            "name": filename,
            "processingRule": PROCESSING_RULE,
            "sha256": hashlib.sha256(content).hexdigest(),
        }
        info_part = RequestField("flowInfo", _json_bytes(flow_info))
        info_part.make_multipart(content_type="application/json")
        file_part = RequestField("file", content, filename=filename)
        file_part.make_multipart(content_type="application/octet-stream")
        body, content_type = encode_multipart_formdata(
            [info_part, file_part], boundary=secrets.token_hex(16)
        )
        headers = {"Content-Type": content_type}
        response = self.client.send("POST", self.base_url, "/flows", body, headers)
        if succeeded(response):
            return self._decode_receipt(response, reference)
        if response.status_code == ALREADY_RECEIVED:
            try:
                return self._decode_receipt(response, reference)
            except ConnectorError:
                pass  # a conflict that is not a replay: the platform's reason says which
        raise Refused(_reason(response), status_code=response.status_code)

    def _decode_receipt(self, response, reference):
        try:
            return _receipt(self._json(response), reference)
        except (KeyError, TypeError, AttributeError, ValueError) as error:
            raise ConnectorError(f"unexpected answer from the platform: {error}") from error

    def _json(self, response):
        try:
            return response.json()
        except ValueError as error:
            raise ConnectorError(f"the platform's answer is not JSON: {error}") from error
