"""A credit insurer on 127.0.0.1, speaking the contract of insurance/connectors/http.py.

It checks what a careful insurer checks (API key, signature, timestamp, money as strings,
Idempotency-Key equal to the reference), keeps each filing once per key, and can be told
to misbehave for the next requests (`fail_next`). Its limit decisions follow the client's
SIREN: last digit 0 → refused, even → granted in full, odd → half granted.
"""

import hashlib
import hmac
import itertools
import json
import re
import secrets
import threading
import time
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import NamedTuple
from urllib.parse import unquote

MODES = ("500", "timeout", "drop_after_store", "refuse")
PREFIXES = {"limits": "LIM", "overdues": "OVD", "claims": "CLM"}
GRADE_SCALE = "1-10, 1 = best"
CENT = Decimal("0.01")


class Received(NamedTuple):
    method: str
    path: str
    headers: Message
    body: bytes

    def json(self):
        return json.loads(self.body)


class Filing(NamedTuple):
    payload: dict
    answer: dict


def _money_problem(value, name):
    if not isinstance(value, str):
        return f'{name} must be a string such as "1234.50", not {value!r}'
    try:
        Decimal(value)
    except InvalidOperation:
        return f"{name} is not an amount: {value!r}"
    return None


def _payload_problem(kind, payload):
    if not isinstance(payload, dict) or not payload.get("reference"):
        return "reference is required"
    if kind == "limits":
        return _money_problem(payload.get("amount"), "amount")
    amounts = [(payload.get("total"), "total")] + [
        (line.get("unpaid_amount"), f"unpaid_amount of {line.get('number')}")
        for line in payload.get("invoices") or []
    ]
    for value, name in amounts:
        problem = _money_problem(value, name)
        if problem:
            return problem
    return None


class _Server(ThreadingHTTPServer):
    # Joined on close, so stopping the simulator waits for a slow answer still running.
    daemon_threads = False


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self._serve()

    def do_POST(self):
        self._serve()

    def log_message(self, format, *args):
        """Quiet: pytest shows the assertions, not an access log."""

    def _serve(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status, answer = self.server.simulator.handle(self.command, self.path, self.headers, body)
        data = json.dumps(answer).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except ConnectionError:
            pass  # the client stopped waiting: the "timeout" mode's very point


class InsurerSimulator:
    """Start with `start()` or `with InsurerSimulator() as insurer:`; `base_url` then
    points at it."""

    def __init__(self, *, api_key="sim-key", secret=None, slow_seconds=0.5, today=None):
        self.api_key = api_key
        self.secret = secret or secrets.token_hex(16)
        self.slow_seconds = slow_seconds
        self.max_clock_skew = 300
        self.today = today or date.today()
        self.received = []
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._in_flight = 0
        self._failures = []
        self._filings = {kind: {} for kind in PREFIXES}
        self._claims = {}
        self._numbers = itertools.count(1)
        self._server = None
        self._thread = None

    def start(self):
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.simulator = self
        # A short poll so that stopping does not wait half a second.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    @property
    def base_url(self):
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def fail_next(self, n, mode, *, reason="Acheteur inconnu : SIREN introuvable"):
        """Misbehave on the next `n` requests: "500" (answer 500, keep nothing), "timeout"
        (answer after `slow_seconds`), "drop_after_store" (keep the filing, then answer
        500: the answer is lost), "refuse" (400 with `reason`)."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        with self._lock:
            self._failures.extend([(mode, reason)] * n)

    def filings(self, kind):
        """What was filed at /`kind` (limits, overdues, claims), once per Idempotency-Key."""
        with self._lock:
            return [filing.payload for filing in self._filings[kind].values()]

    def answer(self, kind, key):
        """The answer kept for the filing at /`kind` under Idempotency-Key `key`."""
        with self._lock:
            return self._filings[kind][key].answer

    def decide_claim(self, reference, *, status, indemnity_amount=None, paid_on=None, reason=""):
        """The insurer's claims handler moves the claim filed under `reference`."""
        with self._lock:
            self._claims[reference].update(
                status=status,
                indemnity_amount=None if indemnity_amount is None else str(indemnity_amount),
                paid_on=paid_on.isoformat() if paid_on else None,
                reason=reason,
            )

    def wait_until_idle(self, timeout=5):
        """Until no request is being answered (a slow one may still run after the client
        gave up on it)."""
        with self._idle:
            if not self._idle.wait_for(lambda: self._in_flight == 0, timeout):
                raise TimeoutError("the simulator is still answering")

    @contextmanager
    def _answering(self):
        with self._lock:
            self._in_flight += 1
        try:
            yield
        finally:
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()

    def handle(self, method, path, headers, body):
        """(HTTP status, JSON answer) for one request."""
        with self._answering():
            with self._lock:
                self.received.append(Received(method, path, headers, body))
                mode, reason = self._failures.pop(0) if self._failures else (None, "")
            if mode == "500":
                return 500, {"error": "internal error"}
            if mode == "refuse":
                return 400, {"error": reason}
            if mode == "timeout":
                time.sleep(self.slow_seconds)
            status, answer = self._answer(method, path, headers, body)
            if mode == "drop_after_store":
                return 500, {"error": "internal error"}
            return status, answer

    def _answer(self, method, path, headers, body):
        problem = self._authentication_problem(headers, body)
        if problem:
            return 401, {"error": problem}
        if method == "GET":
            match = re.fullmatch(r"/claims/([^/]+)", path)
            with self._lock:
                claim = self._claims.get(unquote(match[1])) if match else None
            if claim is None:
                return 404, {"error": "unknown claim"}
            return 200, dict(claim)
        kind = path.strip("/")
        if kind not in PREFIXES:
            return 404, {"error": "unknown endpoint"}
        try:
            payload = json.loads(body)
        except ValueError:
            return 400, {"error": "the body is not JSON"}
        key = headers.get("Idempotency-Key")
        problem = _payload_problem(kind, payload)
        if not problem and key != payload["reference"]:
            problem = "Idempotency-Key must be the reference"
        if problem:
            return 422, {"error": problem}
        with self._lock:
            kept = self._filings[kind].get(key)
            if kept is not None:
                if kept.payload != payload:
                    return 422, {"error": "Idempotency-Key already used for another content"}
                return 409, kept.answer
            answer = self._decide(kind, payload)
            self._filings[kind][key] = Filing(payload, answer)
            if kind == "claims":
                self._claims[payload["reference"]] = {
                    "reference": payload["reference"],
                    "insurer_reference": answer["insurer_reference"],
                    "status": "filed",
                    "indemnity_amount": None,
                    "paid_on": None,
                    "reason": "",
                }
            return 201, answer

    def _authentication_problem(self, headers, body):
        if headers.get("X-Api-Key") != self.api_key:
            return "unknown API key"
        timestamp = headers.get("X-Timestamp", "")
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > self.max_clock_skew:
            return "missing or stale timestamp"
        expected = hmac.new(
            self.secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
        ).hexdigest()
        if not hmac.compare_digest(expected.encode(), headers.get("X-Signature", "").encode()):
            return "invalid signature"
        return None

    def _decide(self, kind, payload):
        insurer_reference = f"{PREFIXES[kind]}-{next(self._numbers):06d}"
        if kind != "limits":
            return {
                "reference": payload["reference"],
                "insurer_reference": insurer_reference,
                "status": "received",
                "received_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "detail": "Déclaration enregistrée",
            }
        requested = Decimal(payload["amount"])
        last_digit = int(payload["client_siren"][-1])
        if last_digit == 0:
            status, granted, grade = "refused", Decimal("0.00"), "9"
        elif last_digit % 2 == 0:
            status, granted, grade = "granted", requested, "3"
        else:
            status, granted, grade = "partial", (requested / 2).quantize(CENT, ROUND_DOWN), "6"
        valid = status != "refused"
        return {
            "reference": payload["reference"],
            "status": status,
            "amount": format(granted, "f"),
            "grade": grade,
            "grade_scale": GRADE_SCALE,
            "valid_from": self.today.isoformat() if valid else None,
            "valid_until": (self.today + timedelta(days=365)).isoformat() if valid else None,
            "insurer_reference": insurer_reference,
        }
