"""What the connectors to an outside party share: the company's plateforme agréée
(einvoicing) and its credit insurer (insurance). The errors every connector raises, and for
those that reach the party's API over HTTP, the request signature and one client that signs
each attempt and retries what may succeed later. Each app's connector keeps what is its own:
the paths, the payloads and the reading of the answers.

Headers on every request, besides the account's key (each party names its own header):
    X-Timestamp        Unix time in seconds, when the request was signed
    X-Signature        hex HMAC-SHA256(secret, timestamp + "." + body); the body is empty on GET
Each attempt is signed again (a fresh timestamp) over the same body bytes.

A 5xx, a 429, a timeout or a lost connection is retried with the same body after
backoff[0], backoff[1], ... (the last delay repeats), at most max_attempts tries in all; then
TemporaryFailure. Any other answer, redirects included, is the connector's to read.
"""

import hashlib
import hmac
import time
from urllib.parse import urlsplit

import requests

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
ALREADY_RECEIVED = 409
TOO_MANY_REQUESTS = 429


class ConnectorError(Exception):
    """The party (the PA, the insurer) could not be told, or answered something unusable."""


class TemporaryFailure(ConnectorError):
    """The party did not answer (timeout, connection refused, 5xx, 429): try again later with
    the same reference, which the party uses to recognise a repeat."""


class Refused(ConnectorError):
    """The party refuses the content (4xx, with its reason): sending it again will not help."""

    def __init__(self, reason, *, status_code=None):
        super().__init__(reason)
        self.reason = reason
        self.status_code = status_code


def sign(secret, timestamp, body):
    """The X-Signature of `body` (bytes) sent at `timestamp` (str)."""
    message = timestamp.encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def address_allowed(url):
    """Whether a party's API may be reached at `url`: over HTTPS, or over plain HTTP on this
    machine only (a local simulator, a tunnel)."""
    parts = urlsplit(url)
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS)


def succeeded(response):
    return 200 <= response.status_code < 300


def answer_reason(response, keys):
    """The party's reason for an answer: the first of `keys` its JSON body fills, else the
    start of its text."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        for key in keys:
            if body.get(key):
                return str(body[key])
    return response.text.strip()[:200] or f"HTTP {response.status_code}"


class SignedClient:
    """Sends signed requests to one party, as this module's docstring says. `key_headers`
    carry the account's key; `reason_keys` name the fields of an answer that give the
    party's reason. `sleep` and `clock` (Unix seconds) are passed in so tests neither wait
    nor depend on the hour."""

    def __init__(
        self,
        *,
        key_headers,
        secret,
        reason_keys,
        timeout=10,
        max_attempts=4,
        backoff=(0.5, 2, 8),
        sleep=time.sleep,
        clock=time.time,
    ):
        if max_attempts < 1 or not backoff:
            raise ValueError("max_attempts must be at least 1 and backoff not empty")
        self.key_headers = dict(key_headers)
        self.secret = secret
        self.reason_keys = tuple(reason_keys)
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.backoff = tuple(backoff)
        self.sleep = sleep
        self.clock = clock
        self.session = requests.Session()

    def send(self, method, root, path, body, headers):
        """The party's answer other than 5xx or 429, after retrying those and lost
        connections; TemporaryFailure when every attempt failed."""
        delays = [self.backoff[min(i, len(self.backoff) - 1)] for i in range(self.max_attempts)]
        for attempt, delay in enumerate(delays, start=1):
            timestamp = str(int(self.clock()))
            signed = {
                **headers,
                "Accept": "application/json",
                **self.key_headers,
                "X-Timestamp": timestamp,
                "X-Signature": sign(self.secret, timestamp, body),
            }
            try:
                response = self.session.request(
                    method,
                    root + path,
                    data=body or None,
                    headers=signed,
                    timeout=self.timeout,
                    allow_redirects=False,
                )
            except (
                requests.Timeout,
                requests.ConnectionError,
                requests.exceptions.ChunkedEncodingError,
            ) as error:
                failure = error
            else:
                if response.status_code < 500 and response.status_code != TOO_MANY_REQUESTS:
                    return response
                failure = ConnectorError(
                    f"HTTP {response.status_code}: {answer_reason(response, self.reason_keys)}"
                )
            if attempt == self.max_attempts:
                raise TemporaryFailure(
                    f"{method} {path}: no answer after {attempt} attempts ({failure})"
                ) from failure
            self.sleep(delay)
