"""A plateforme agréée on 127.0.0.1, speaking the contract of einvoicing/connectors/http.py.

It checks what a PA checks (API key, signature, timestamp, the flowInfo's required fields,
the file's SHA-256 against flowInfo, a seller's 212 read from its CDAR XML: the invoice it
names was deposited here, the status code, the amounts per VAT rate are numbers, a
correction names the 212 it cancels and its amounts add up to the opposite; money as
strings and a payment report's total), keeps each
flow once per trackingId, issues the lifecycle statuses a PA issues (200 Déposée on deposit,
213 Rejetée for the invoices `reject` names), lets a test play the buyer (`emit_status`), and
can be told to misbehave for the next requests (`fail_next`). Every status it issues is also
a signed webhook call, kept in `webhook_calls` and posted to `webhook_url` when one is set.
"""

import hashlib
import itertools
import json
import re
import time
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import NamedTuple
from urllib.parse import unquote

import requests
from lxml import etree

from tests.simulator import Simulator, money_problem

MODES = ("500", "timeout", "drop_after_store", "refuse", "429")
INVOICE_SYNTAXES = ("Factur-X", "CII", "UBL")
FLOW_TYPES = {
    "Factur-X": "CustomerInvoice",
    "CII": "CustomerInvoice",
    "UBL": "CustomerInvoice",
    "CDAR": "CustomerInvoiceLC",
    "FRR": "UnitaryCustomerPaymentReport",
}
PROFILES = ("Basic", "CIUS", "Extended-CTC-FR")
PROCESSING_RULES = ("B2B", "B2BInt", "B2C", "B2G", "OutOfScope", "NotApplicable")
SENDERS = ("platform", "buyer", "seller")
ALREADY_RECEIVED = 409


class Flow(NamedTuple):
    """A flow the PA holds: what it was sent (`info`, `content`) and its resource."""

    flow_id: str
    flow_type: str
    info: dict
    content: bytes
    resource: dict

    def document(self):
        """The file as the platform reads it: a seller's status (CDAR XML) as the dict
        `read_cdar` makes of it, a payment report as its JSON."""
        if self.info.get("flowSyntax") == "CDAR":
            return read_cdar(self.content)
        return json.loads(self.content)


class WebhookCall(NamedTuple):
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)


class _Problem(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


def _error(status, message):
    return status, {"type": "about:blank", "status": status, "message": message}


def _multipart(content_type, body):
    """{part name: (headers dict, content bytes)} of a multipart/form-data body."""
    match = re.search(r'boundary="?([^";]+)"?', content_type or "")
    if not content_type.startswith("multipart/form-data") or not match:
        raise _Problem(400, "the body must be multipart/form-data")
    delimiter = b"--" + match[1].encode()
    parts = {}
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        head, _, content = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        headers = {}
        for line in head.decode().split("\r\n"):
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        name = re.search(r'name="([^"]*)"', headers.get("content-disposition", ""))
        if name:
            parts[name[1]] = (headers, content.removesuffix(b"\r\n"))
    return parts


CDAR_NAMESPACES = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossDomainAcknowledgementAndResponse:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
}
CDV_GUIDELINE = "urn.cpro.gouv.fr:1p0:CDV:invoice"
INVOICE = "rsm:AcknowledgementDocument/ram:ReferenceReferencedDocument"
STATUS = f"{INVOICE}/ram:SpecifiedDocumentStatus"


def read_cdar(content):
    """What a lifecycle message (CDAR D22B) says, as a dict of strings: "documentId"
    (MDT-4), "guideline" (MDT-3), "invoiceId" (MDT-87), "invoiceIssueDate" (MDG-35),
    "invoiceTypeCode", "statusCode" (MDT-105), "sellerSiren" (MDT-129), "buyerSiren",
    "buyerAddress" (MDT-73), "collectedOn" (the status's date), "corrects" (the note),
    "amounts": [(rate, amount, currency)] of the MEN characteristics and "amount" their sum
    (None when one is not a number). ValueError when the file is not a CDAR message."""
    try:
        root = etree.fromstring(content)
    except etree.XMLSyntaxError as error:
        raise ValueError(f"the file is not XML: {error}") from None
    if root.tag != f"{{{CDAR_NAMESPACES['rsm']}}}CrossDomainAcknowledgementAndResponse":
        raise ValueError("the file is not a CDAR message")

    def text(path):
        return (root.findtext(path, default="", namespaces=CDAR_NAMESPACES) or "").strip()

    amounts = []
    for characteristic in root.iterfind(
        f"{STATUS}/ram:SpecifiedDocumentCharacteristic", CDAR_NAMESPACES
    ):
        if characteristic.findtext("ram:TypeCode", namespaces=CDAR_NAMESPACES) != "MEN":
            continue
        value = characteristic.find("ram:ValueAmount", CDAR_NAMESPACES)
        amounts.append(
            (
                characteristic.findtext("ram:ValuePercent", "", CDAR_NAMESPACES),
                "" if value is None else value.text or "",
                "" if value is None else value.get("currencyID", ""),
            )
        )
    try:
        total = str(sum((Decimal(amount) for _rate, amount, _currency in amounts), Decimal(0)))
    except InvalidOperation:
        total = None
    return {
        "documentId": text("rsm:ExchangedDocument/ram:ID"),
        "guideline": text(
            "rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID"
        ),
        "invoiceId": text(f"{INVOICE}/ram:IssuerAssignedID"),
        "invoiceIssueDate": text(f"{INVOICE}/ram:FormattedIssueDateTime/qdt:DateTimeString"),
        "invoiceTypeCode": text(f"{INVOICE}/ram:TypeCode"),
        "statusCode": text(f"{INVOICE}/ram:ProcessConditionCode"),
        "sellerSiren": text(f"{INVOICE}/ram:IssuerTradeParty/ram:GlobalID"),
        "buyerSiren": text(f"{INVOICE}/ram:RecipientTradeParty/ram:GlobalID"),
        "buyerAddress": text(
            "rsm:ExchangedDocument/ram:RecipientTradeParty[ram:RoleCode='BY']"
            "/ram:URIUniversalCommunication/ram:URIID"
        ),
        "collectedOn": text(f"{STATUS}/ram:ReferenceDateTime/udt:DateTimeString"),
        "corrects": text(f"{STATUS}/ram:IncludedNote/ram:Content"),
        "amounts": amounts,
        "amount": total,
    }


def _check_status_file(content, invoice_numbers, statuses):
    """The reason a PA refuses a seller's status (None when it takes it): `invoice_numbers`
    the invoices deposited here, `statuses` {documentId: reading} of the 212s it holds."""
    try:
        document = read_cdar(content)
    except ValueError as error:
        return str(error)
    if document["guideline"] != CDV_GUIDELINE:
        return f"not a CDV message: {document['guideline']!r}"
    required = ("documentId", "invoiceId", "invoiceIssueDate", "sellerSiren", "statusCode")
    missing = [name for name in required if not document[name]]
    if missing:
        return f"missing in the status: {', '.join(missing)}"
    if document["statusCode"] != "212":
        return f"a seller sends 212 Encaissée here, not {document['statusCode']}"
    if document["invoiceId"] not in invoice_numbers:
        return f"unknown invoice {document['invoiceId']}: it was not deposited here"
    if not document["amounts"]:
        return "a 212 states the amount collected per VAT rate (MEN)"
    for rate, amount, currency in document["amounts"]:
        problem = money_problem(rate, "VAT rate") or money_problem(amount, "amount collected")
        if problem:
            return problem
        if not currency:
            return "an amount collected states its currency"
    if Decimal(document["amount"]) < 0:
        corrected = statuses.get(document["corrects"])
        if corrected is None:
            return "a negative 212 must name the 212 it corrects"
        if corrected["invoiceId"] != document["invoiceId"]:
            return f"{document['corrects']} is a 212 of another invoice"
        if Decimal(corrected["amount"]) != -Decimal(document["amount"]):
            return f"the correction does not cancel the {corrected['amount']} of its 212"
    return None


def _check_report_file(document):
    required = ("sellerSiren", "periodStart", "periodEnd")
    missing = [name for name in required if not document.get(name)]
    if missing:
        return f"missing in the report: {', '.join(missing)}"
    payments = document.get("payments")
    if not isinstance(payments, list):
        return "payments must be a list"
    for payment in payments:
        name = payment.get("invoiceId")
        problem = money_problem(payment.get("amount"), f"amount of {name}")
        if problem:
            return problem
        by_rate = payment.get("amountsByRate") or []
        for part in by_rate:
            problem = money_problem(part.get("rate"), "VAT rate") or money_problem(
                part.get("amount"), f"amount per VAT rate of {name}"
            )
            if problem:
                return problem
        parts = sum((Decimal(part["amount"]) for part in by_rate), Decimal(0))
        if by_rate and parts != Decimal(payment["amount"]):
            return f"the amounts per VAT rate of {name} do not add up to its amount"
    problem = money_problem(document.get("total"), "total")
    if problem:
        return problem
    if sum((Decimal(p["amount"]) for p in payments), Decimal(0)) != Decimal(document["total"]):
        return "total is not the sum of the payments"
    return None


class PlatformSimulator(Simulator):
    """Start with `start()` or `with PlatformSimulator() as platform:`; `base_url` then
    points at it. `clock` (an aware datetime) dates the flows and statuses; `deposit_status`
    issues 200 Déposée on every invoice deposited."""

    modes = MODES
    refusal = "Fichier illisible"

    def __init__(
        self,
        *,
        api_key="sim-key",
        secret=None,
        slow_seconds=0.5,
        clock=None,
        deposit_status=True,
        webhook_url="",
        platform_id="0002",
        flow_root="",
        directory_root="",
    ):
        super().__init__(api_key=api_key, secret=secret, slow_seconds=slow_seconds)
        # The two services under roots of their own, as a PA publishes them (e.g.
        # "/afnor-flow/v1" and "/afnor-directory/v1"); a path under the wrong one is a 404.
        self.flow_root = flow_root
        self.directory_root = directory_root
        self.clock = clock or (lambda: datetime.now(UTC))
        self.deposit_status = deposit_status
        self.webhook_url = webhook_url
        self.platform_id = platform_id
        self.webhook_calls = []
        self.webhook_answers = []
        self._flows = {}
        self._by_tracking_id = {}
        self._lifecycles = {}
        self._directory = {}
        self._rejections = []
        self._numbers = itertools.count(1)

    @property
    def base_url(self):
        """The flow service's root."""
        return self._url(self.flow_root)

    @property
    def directory_url(self):
        """The directory service's root."""
        return self._url(self.directory_root)

    # Driving the platform

    def reject(self, predicate, *, reason_code="REJ_SEMAN", reason_text="Facture non conforme"):
        """Issue 213 Rejetée (instead of 200) on the invoices deposited from now on for which
        `predicate(info, content)` is true: `info` the flowInfo dict, `content` the file."""
        with self._lock:
            self._rejections.append((predicate, reason_code, reason_text))

    def add_directory_entry(
        self, siren, address, *, scheme="0225", platform=None, routing_code="", siret=""
    ):
        """A line of the directory for `siren`: its electronic address, received by the PA
        `platform` (a registration number; this PA's by default)."""
        line = {
            "addressingIdentifier": address,
            "addressingIdentifierScheme": scheme,
            "siren": siren,
            "platform": {
                "platformType": "PA",
                "platformStatus": "Enabled",
                "platformId": self.platform_id if platform is None else platform,
            },
            "directoryLineStatus": "Enabled",
        }
        if siret:
            line["siret"] = siret
        if routing_code:
            line["routingCode"] = {
                "routingIdentifier": routing_code,
                "routingIdentifierType": "0224",
                "routingCodeName": routing_code,
            }
        with self._lock:
            self._directory.setdefault(siren, []).append(line)

    def emit_status(
        self,
        flow_id,
        code,
        *,
        sender,
        reason_code="",
        reason_text="",
        amount=None,
        duplicate=False,
    ):
        """A lifecycle status of the invoice deposited as `flow_id` (a CustomerInvoiceLC
        flow of direction In), webhook included (twice, same event id, when `duplicate`);
        returns its event id (the LC flow's id)."""
        if sender not in SENDERS:
            raise ValueError(f"sender must be one of {SENDERS}")
        with self._lock:
            if self._flows.get(flow_id, Flow("", "", {}, b"", {})).flow_type != "CustomerInvoice":
                raise ValueError(f"{flow_id!r} is not an invoice flow")
            flow = self._store_status(flow_id, code, sender, reason_code, reason_text, amount)
        self._notify(flow.resource, times=2 if duplicate else 1)
        return flow.flow_id

    # What the platform holds

    def flows(self, kind=None):
        """The flows received (direction Out), once per trackingId, of flowType `kind`
        (CustomerInvoice, CustomerInvoiceLC, UnitaryCustomerPaymentReport) or all."""
        with self._lock:
            return [
                flow
                for flow in self._flows.values()
                if flow.resource["flowDirection"] == "Out"
                and (kind is None or flow.flow_type == kind)
            ]

    def flow(self, flow_id):
        with self._lock:
            return self._flows[flow_id]

    def flow_of(self, tracking_id):
        """The flow deposited under `tracking_id` (the platform's reference)."""
        with self._lock:
            return self._flows[self._by_tracking_id[tracking_id]]

    def statuses(self, flow_id):
        """The lifecycle the invoice flow `flow_id` has: a list of LC flow resources."""
        with self._lock:
            return [self._flows[lc].resource for lc in self._lifecycles.get(flow_id, ())]

    # Answering

    def key_headers(self):
        return {"Authorization": f"Bearer {self.api_key}"}

    def error(self, status, message):
        return _error(status, message)

    def respond(self, method, path, headers, body):
        status, answer, notify = self._answer(method, path, headers, body)
        for resource in notify:
            self._notify(resource)
        return status, answer

    def _answer(self, method, path, headers, body):
        """(status, answer, LC flows to notify)."""
        problem = self.authentication_problem(headers, body)
        if problem:
            return (*_error(401, problem), ())
        directory = path.startswith(("/siren/", "/directory-line/"), len(self.directory_root))
        root = self.directory_root if directory else self.flow_root
        if not path.startswith(root):
            return (*_error(404, "unknown endpoint"), ())
        path = path[len(root) :]
        if directory != path.startswith(("/siren/", "/directory-line/")):
            return (*_error(404, "unknown endpoint"), ())
        try:
            if method == "GET":
                return (*self._get(path), ())
            if path == "/flows":
                return self._deposit(headers, body)
            if path == "/flows/search":
                return (*self._search(body), ())
            if path == "/directory-line/search":
                return (*self._directory_lines(body), ())
        except _Problem as problem:
            return (*_error(problem.status, problem.message), ())
        return (*_error(404, "unknown endpoint"), ())

    def _get(self, path):
        flow_match = re.fullmatch(r"/flows/([^/?]+)", path)
        siren_match = re.fullmatch(r"/siren/code-insee:(\d{9})", path)
        with self._lock:
            if flow_match:
                flow = self._flows.get(unquote(flow_match[1]))
                if flow is None:
                    return _error(404, "unknown flow")
                return 200, self._resource(flow)
            if siren_match:
                siren = siren_match[1]
                if siren not in self._directory:
                    return _error(404, "SIREN not in the directory")
                return 200, {
                    "siren": siren,
                    "businessName": f"Entreprise {siren}",
                    "entityType": "PrivateVatRegistered",
                    "administrativeStatus": "A",
                }
        return _error(404, "unknown endpoint")

    def _resource(self, flow):
        if flow.flow_type != "CustomerInvoice":
            return flow.resource
        lifecycle = [
            {"flowId": lc, **self._flows[lc].resource["lifecycle"]}
            for lc in self._lifecycles.get(flow.flow_id, ())
        ]
        return {**flow.resource, "lifecycle": lifecycle}

    def _deposit(self, headers, body):
        parts = _multipart(headers.get("Content-Type", ""), body)
        if "flowInfo" not in parts or "file" not in parts:
            raise _Problem(400, "flowInfo and file are both required")
        try:
            info = json.loads(parts["flowInfo"][1])
        except ValueError:
            raise _Problem(400, "flowInfo is not JSON") from None
        content = parts["file"][1]
        syntax = info.get("flowSyntax")
        if syntax not in FLOW_TYPES:
            raise _Problem(400, f"unknown flowSyntax {syntax!r}")
        if not info.get("trackingId") or not info.get("name"):
            raise _Problem(400, "trackingId and name are required")
        if info.get("flowProfile") and info["flowProfile"] not in PROFILES:
            raise _Problem(400, f"unknown flowProfile {info['flowProfile']!r}")
        if info.get("processingRule") and info["processingRule"] not in PROCESSING_RULES:
            raise _Problem(400, f"unknown processingRule {info['processingRule']!r}")
        sha256 = hashlib.sha256(content).hexdigest()
        if info.get("sha256") != sha256:
            raise _Problem(400, "sha256 does not match the file")
        with self._lock:
            kept = self._by_tracking_id.get(info["trackingId"])
            if kept is not None:
                flow = self._flows[kept]
                if flow.info.get("sha256") != sha256:
                    raise _Problem(422, "trackingId already used for another file")
                return ALREADY_RECEIVED, flow.resource, ()
            problem = self._file_problem(syntax, info, content)
            if problem:
                raise _Problem(400, problem)
            flow = self._store(FLOW_TYPES[syntax], "Out", info, content)
            notify = self._issue_deposit_statuses(flow) if syntax in INVOICE_SYNTAXES else []
            return 202, flow.resource, notify

    def _file_problem(self, syntax, info, content):
        if syntax == "Factur-X" and not content.startswith(b"%PDF"):
            return "a Factur-X file is a PDF"
        if syntax in ("CII", "UBL") and not content.lstrip().startswith(b"<"):
            return f"a {syntax} file is XML"
        if syntax == "CDAR":
            numbers = {
                self._invoice_number(flow)
                for flow in self._flows.values()
                if flow.flow_type == "CustomerInvoice"
            }
            read = [flow.document() for flow in self.flows("CustomerInvoiceLC")]
            statuses = {document["documentId"]: document for document in read}
            return _check_status_file(content, numbers, statuses)
        if syntax == "FRR":
            try:
                document = json.loads(content)
            except ValueError:
                return "the file is not JSON"
            return _check_report_file(document)
        return None

    def _store(self, flow_type, direction, info, content, **extra):
        flow_id = f"FLOW-{next(self._numbers):06d}"
        now = self.clock().isoformat()
        resource = {
            "flowId": flow_id,
            "trackingId": info.get("trackingId", ""),
            "name": info.get("name", ""),
            "flowType": flow_type,
            "flowDirection": direction,
            "flowSyntax": info.get("flowSyntax", ""),
            "processingRule": info.get("processingRule") or "B2B",
            "sha256": hashlib.sha256(content).hexdigest(),
            "submittedAt": now,
            "updatedAt": now,
            "acknowledgement": {"status": "Ok", "details": []},
            **extra,
        }
        if info.get("flowProfile"):
            resource["flowProfile"] = info["flowProfile"]
        flow = Flow(flow_id, flow_type, info, content, resource)
        self._flows[flow_id] = flow
        if direction == "Out":
            self._by_tracking_id[resource["trackingId"]] = flow_id
        return flow

    def _issue_deposit_statuses(self, flow):
        for predicate, reason_code, reason_text in self._rejections:
            if predicate(flow.info, flow.content):
                flow.resource["acknowledgement"] = {
                    "status": "Error",
                    "details": [{"reasonCode": reason_code, "reasonMessage": reason_text}],
                }
                lc = self._store_status(flow.flow_id, "213", "platform", reason_code, reason_text)
                return [lc.resource]
        if self.deposit_status:
            return [self._store_status(flow.flow_id, "200", "platform").resource]
        return []

    def _store_status(self, flow_id, code, sender, reason_code="", reason_text="", amount=None):
        invoice = self._flows[flow_id]
        number = self._invoice_number(invoice)
        lifecycle = {
            "invoiceFlowId": flow_id,
            "invoiceTrackingId": invoice.resource["trackingId"],
            "invoiceId": number,
            "statusCode": code,
            "issuedAt": self.clock().isoformat(),
            "sender": sender,
            "reasonCode": reason_code,
            "reasonText": reason_text,
            "amount": None if amount is None else format(Decimal(amount), "f"),
            "currency": "EUR",
        }
        info = {"flowSyntax": "CDAR", "name": f"CDAR-{flow_id}-{code}.xml"}
        lc = self._store("CustomerInvoiceLC", "In", info, b"", lifecycle=lifecycle)
        self._lifecycles.setdefault(flow_id, []).append(lc.flow_id)
        return lc

    def _invoice_number(self, invoice):
        """BT-1 of an invoice flow: the document's ID in a CII file, else the file's name
        without its extension (the platform names the file after the invoice number)."""
        match = re.search(rb"<rsm:ExchangedDocument>\s*<ram:ID>([^<]+)</ram:ID>", invoice.content)
        return match[1].decode() if match else invoice.info["name"].rsplit(".", 1)[0]

    def _search(self, body):
        try:
            query = json.loads(body)
        except ValueError:
            raise _Problem(400, "the body is not JSON") from None
        where = query.get("where") or {}
        if not where:
            raise _Problem(400, "at least one criterion is required")
        limit = query.get("limit") or 25
        after = where.get("updatedAfter")
        before = where.get("updatedBefore")
        with self._lock:
            results = [
                self._resource(flow)
                for flow in self._flows.values()
                if (not after or _moment(flow.resource["updatedAt"]) > _moment(after))
                and (not before or _moment(flow.resource["updatedAt"]) < _moment(before))
                and flow.flow_type in (where.get("flowType") or [flow.flow_type])
                and flow.resource["flowDirection"]
                in (where.get("flowDirection") or [flow.resource["flowDirection"]])
                and where.get("trackingId") in (None, flow.resource["trackingId"])
            ]
        results.sort(key=lambda resource: _moment(resource["updatedAt"]))
        return 200, {"limit": limit, "filters": where, "results": results[:limit]}

    def _directory_lines(self, body):
        try:
            siren = json.loads(body)["filters"]["siren"]["value"]
        except (ValueError, KeyError, TypeError):
            raise _Problem(400, "filters.siren.value is required") from None
        with self._lock:
            lines = list(self._directory.get(siren, ()))
        if not lines:
            return 204, None
        return 200, {"totalNumberOfResults": len(lines), "results": lines}

    # Webhooks

    def _notify(self, resource, times=1):
        body = json.dumps({"eventId": resource["flowId"], "flowInfo": resource}).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Timestamp": timestamp,
            "X-Signature": self.sign(timestamp, body),
        }
        for _ in range(times):
            with self._lock:
                self.webhook_calls.append(WebhookCall(headers, body))
            if self.webhook_url:
                try:
                    answer = requests.post(self.webhook_url, data=body, headers=headers, timeout=5)
                    self.webhook_answers.append(answer.status_code)
                except requests.RequestException as error:
                    self.webhook_answers.append(error)


def _moment(value):
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
