"""A credit insurer on 127.0.0.1, speaking the contract of insurance/connectors/http.py.

It checks what a careful insurer checks (API key, signature, timestamp, money as strings,
Idempotency-Key equal to the reference), keeps each filing once per key, and can be told
to misbehave for the next requests (`fail_next`). Its limit decisions follow the client's
SIREN: last digit 0 → refused, even → granted in full, odd → half granted.
"""

import itertools
import json
import re
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import NamedTuple
from urllib.parse import unquote

from tests.simulator import Simulator, money_problem

MODES = ("500", "timeout", "drop_after_store", "refuse")
PREFIXES = {"limits": "LIM", "overdues": "OVD", "claims": "CLM"}
GRADE_SCALE = "1-10, 1 = best"
CENT = Decimal("0.01")


class Filing(NamedTuple):
    payload: dict
    answer: dict


def _payload_problem(kind, payload):
    if not isinstance(payload, dict) or not payload.get("reference"):
        return "reference is required"
    if kind == "limits":
        return money_problem(payload.get("amount"), "amount")
    amounts = [(payload.get("total"), "total")] + [
        (line.get("unpaid_amount"), f"unpaid_amount of {line.get('number')}")
        for line in payload.get("invoices") or []
    ]
    for value, name in amounts:
        problem = money_problem(value, name)
        if problem:
            return problem
    return None


class InsurerSimulator(Simulator):
    """Start with `start()` or `with InsurerSimulator() as insurer:`; `base_url` then
    points at it."""

    modes = MODES
    refusal = "Acheteur inconnu : SIREN introuvable"

    def __init__(self, *, api_key="sim-key", secret=None, slow_seconds=0.5, today=None):
        super().__init__(api_key=api_key, secret=secret, slow_seconds=slow_seconds)
        self.today = today or date.today()
        self._filings = {kind: {} for kind in PREFIXES}
        self._claims = {}
        self._numbers = itertools.count(1)

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

    def key_headers(self):
        return {"X-Api-Key": self.api_key}

    def error(self, status, message):
        return status, {"error": message}

    def respond(self, method, path, headers, body):
        problem = self.authentication_problem(headers, body)
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
