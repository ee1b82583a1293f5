"""The signature of a delivery, Stripe-like: the header

    Portage-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the secret>

The timestamp is part of what is signed, so a receiver that refuses old timestamps (five
minutes is the usual tolerance) cannot be fed a recorded delivery again. See
docs/webhooks.md for a receiver's side.
"""

import hashlib
import hmac
import time

SIGNATURE_HEADER = "Portage-Signature"
TOLERANCE_SECONDS = 300


def signature(secret, timestamp, body):
    message = f"{timestamp}.".encode() + (body if isinstance(body, bytes) else body.encode())
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret, body, *, timestamp):
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify(secret, body, header, *, tolerance=TOLERANCE_SECONDS, now=None):
    """True when `header` signs `body` with `secret`, within `tolerance` seconds of now."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return hmac.compare_digest(expected, parts.get("v1", ""))
