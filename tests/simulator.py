"""What the local simulators of an outside party share: tests/einvoicing/simulator.py plays
the plateforme agréée, tests/insurance/simulator.py the insurer.

A threaded HTTP server on 127.0.0.1 (a free port), started and stopped with the test, that
keeps every request it receives (`received`), checks the account's key, the timestamp and
the signature of the contract in portage/connectors.py (worked out here again, not
imported, so that the test does not take the connector's word for it), and can be told to
misbehave for the next requests (`fail_next`). Each simulator says how a key is presented
(`key_headers`), how an error reads (`error`) and answers a request (`respond`).
"""

import abc
import hashlib
import hmac
import json
import secrets
import threading
import time
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import NamedTuple

TOO_MANY_REQUESTS = 429


class Received(NamedTuple):
    method: str
    path: str
    headers: Message
    body: bytes

    def json(self):
        return json.loads(self.body)


def money_problem(value, name):
    """Why `value` is not money as the contracts send it (a string such as "1234.50"), or
    None."""
    if not isinstance(value, str):
        return f'{name} must be a string such as "1234.50", not {value!r}'
    try:
        Decimal(value)
    except InvalidOperation:
        return f"{name} is not an amount: {value!r}"
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
        data = b"" if answer is None else json.dumps(answer).encode()
        try:
            self.send_response(status)
            if status == TOO_MANY_REQUESTS:
                self.send_header("Retry-After", "1")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except ConnectionError:
            pass  # the client stopped waiting: the "timeout" mode's very point


class Simulator(abc.ABC):
    """Start with `start()` or as a context manager; `base_url` then points at it.

    A subclass sets `modes` (the faults it can play, among "500", "429", "refuse",
    "timeout", "drop_after_store") and `refusal` (the reason of a "refuse" by default)."""

    modes = ()
    refusal = ""

    def __init__(self, *, api_key, secret, slow_seconds):
        self.api_key = api_key
        self.secret = secret or secrets.token_hex(16)
        self.slow_seconds = slow_seconds
        self.max_clock_skew = 300
        self.received = []
        self._lock = threading.RLock()
        self._idle = threading.Condition(self._lock)
        self._in_flight = 0
        self._failures = []
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
        return self._url()

    def _url(self, root=""):
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{root}"

    def fail_next(self, n, mode, *, reason=None):
        """Misbehave on the next `n` requests: "500" (answer 500, keep nothing), "429" (too
        many requests), "refuse" (400 with `reason`), "timeout" (answer after
        `slow_seconds`), "drop_after_store" (keep what was sent, then answer 500: the
        answer is lost)."""
        if mode not in self.modes:
            raise ValueError(f"mode must be one of {self.modes}")
        with self._lock:
            self._failures.extend([(mode, self.refusal if reason is None else reason)] * n)

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
        """(HTTP status, JSON answer or None) for one request."""
        with self._answering():
            with self._lock:
                self.received.append(Received(method, path, headers, body))
                mode, reason = self._failures.pop(0) if self._failures else (None, "")
            if mode == "500":
                return self.error(500, "internal error")
            if mode == "429":
                return self.error(TOO_MANY_REQUESTS, "too many requests")
            if mode == "refuse":
                return self.error(400, reason)
            if mode == "timeout":
                time.sleep(self.slow_seconds)
            status, answer = self.respond(method, path, headers, body)
            if mode == "drop_after_store":
                return self.error(500, "internal error")
            return status, answer

    def authentication_problem(self, headers, body):
        """Why the request is not the account's (key, timestamp, signature), or None."""
        if any(headers.get(name) != value for name, value in self.key_headers().items()):
            return "unknown API key"
        timestamp = headers.get("X-Timestamp", "")
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > self.max_clock_skew:
            return "missing or stale timestamp"
        expected = self.sign(timestamp, body).encode()
        if not hmac.compare_digest(expected, headers.get("X-Signature", "").encode()):
            return "invalid signature"
        return None

    def sign(self, timestamp, body):
        message = timestamp.encode() + b"." + body
        return hmac.new(self.secret.encode(), message, hashlib.sha256).hexdigest()

    @abc.abstractmethod
    def key_headers(self):
        """{header: value} that present the account's key."""

    @abc.abstractmethod
    def error(self, status, message):
        """(status, the JSON answer of an error)."""

    @abc.abstractmethod
    def respond(self, method, path, headers, body):
        """(HTTP status, JSON answer or None) for a request the simulator does not fail."""
