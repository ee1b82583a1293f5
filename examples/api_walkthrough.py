"""A walk through the Portage API, written from its documentation (/api/v1/docs/) alone.

It registers a webhook endpoint served by this script on 127.0.0.1, creates a client, a
consultant (or takes the first one) and a mission, drafts an invoice and issues it,
downloads its PDF, records the payment twice with the same Idempotency-Key (the second
answer is the first one again: one payment only), reads the invoice as paid, and waits for
the `invoice.issued` and `invoice.paid` webhooks, checking their signatures.

    python examples/api_walkthrough.py --url http://127.0.0.1:8000 --key ptg_… [--pdf out.pdf]

The key must be a read-write key (Company → API keys). Only `requests` and the standard
library are needed. The script exits with status 0 when every step behaved as documented.
"""

import argparse
import hashlib
import hmac
import json
import queue
import random
import sys
import threading
import time
import uuid
from datetime import date
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, HTTPServer

import requests


class Api:
    def __init__(self, url, key, language="en"):
        self.base = url.rstrip("/") + "/api/v1"
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {key}", "Accept-Language": language})

    def call(self, method, path, *, expect, idempotency_key=None, **kwargs):
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        response = self.session.request(
            method, f"{self.base}{path}", headers=headers, timeout=60, **kwargs
        )
        if response.status_code != expect:
            try:
                error = response.json()["error"]
                detail = f"{error['code']}: {error['message']} {error['fields'] or ''}"
            except (ValueError, KeyError):
                detail = response.text[:300]
            raise SystemExit(f"{method} {path} answered {response.status_code}: {detail}")
        return response


def verify_signature(secret, body, header, tolerance=300):
    """The check the webhooks documentation gives: HMAC-SHA256 of "<t>.<raw body>"."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - timestamp) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), parts.get("v1", ""))


class Receiver:
    """A webhook receiver on 127.0.0.1: answers 204 at once and queues what it received."""

    def __init__(self):
        self.received = queue.Queue()
        self.secret = None
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                signature = self.headers.get("Portage-Signature", "")
                self.send_response(204)
                self.end_headers()
                receiver.received.put((body, signature))

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self):
        host, port = self.server.server_address
        return f"http://{host}:{port}/portage-webhooks"

    def wait_for(self, wanted, timeout):
        """The events of the wanted types, each with a valid signature, by sequence."""
        events, deadline = {}, time.monotonic() + timeout
        while not wanted <= {event["type"] for event in events.values()}:
            try:
                body, signature = self.received.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                missing = wanted - {event["type"] for event in events.values()}
                raise SystemExit(f"no webhook for {sorted(missing)} within {timeout} s") from None
            if not verify_signature(self.secret, body, signature):
                raise SystemExit(f"a webhook with a bad signature: {signature!r}")
            event = json.loads(body)
            events[event["id"]] = event  # at least once: the same event may come twice
        return sorted(events.values(), key=lambda event: event["sequence"])


def valid_siren():
    """A random SIREN with a valid check digit (Luhn), so the script can run again."""
    digits = [random.randint(0, 9) for _ in range(8)]  # noqa: S311 — not a secret
    for check in range(10):
        number = [*digits, check]
        total = sum(
            sum(divmod(digit * 2, 10)) if index % 2 else digit for index, digit in enumerate(number)
        )
        if total % 10 == 0:
            return "".join(map(str, number))
    raise AssertionError


def step(text):
    print(f"- {text}", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the platform's address")
    parser.add_argument("--key", required=True, help="a read-write API key (ptg_…)")
    parser.add_argument("--pdf", help="where to save the invoice's PDF")
    parser.add_argument("--webhook-timeout", type=float, default=120)
    args = parser.parse_args(argv)
    api = Api(args.url, args.key)
    today = date.today().isoformat()

    receiver = Receiver()
    endpoint = api.call(
        "POST",
        "/webhook-endpoints/",
        expect=201,
        json={
            "url": receiver.url,
            "description": "API walkthrough",
            "events": ["invoice.issued", "invoice.paid"],
        },
    ).json()
    receiver.secret = endpoint["secret"]
    step(f"webhook endpoint {endpoint['id']} registered for {receiver.url}")

    try:
        client = api.call(
            "POST",
            "/clients/",
            expect=201,
            json={
                "legal_name": "Durand Industrie SAS",
                "siren": valid_siren(),
                "address_line1": "10 rue de la Paix",
                "postal_code": "75002",
                "city": "Paris",
                "billing_emails": ["compta@durand.example"],
                "payment_terms": "net",
                "payment_days": 30,
            },
        ).json()
        step(f"client {client['id']} created: {client['legal_name']}")

        consultants = api.call("GET", "/consultants/", expect=200).json()["results"]
        if consultants:
            consultant = consultants[0]
        else:
            consultant = api.call(
                "POST",
                "/consultants/",
                expect=201,
                json={
                    "email": f"consultant-{uuid.uuid4().hex[:8]}@example.com",
                    "full_name": "Camille Martin",
                    "fee_rate": "8.00",
                    "start_date": today,
                },
            ).json()
        step(f"consultant {consultant['id']}: {consultant['full_name']}")

        mission = api.call(
            "POST",
            "/missions/",
            expect=201,
            json={
                "consultant": consultant["id"],
                "client": client["id"],
                "title": "Audit du système d'information",
                "start_date": today,
                "daily_rate": "650.00",
            },
        ).json()
        step(f"mission {mission['id']} created: {mission['title']}")

        draft = api.call(
            "POST",
            "/invoices/",
            expect=201,
            json={
                "client": client["id"],
                "consultant": consultant["id"],
                "mission": mission["id"],
                "lines": [
                    {
                        "description": "Audit — 10 jours",
                        "quantity": "10",
                        "unit": "DAY",
                        "unit_price": "650.00",
                        "vat_rate": "20.00",
                    }
                ],
            },
        ).json()
        step(f"draft invoice {draft['id']}: {draft['total_ttc']} € incl. VAT")

        invoice = api.call(
            "POST",
            f"/invoices/{draft['id']}/issue/",
            expect=200,
            idempotency_key=f"issue-{draft['id']}",
        ).json()
        assert invoice["status"] == "issued" and invoice["number"], invoice
        step(f"issued as {invoice['number']}, due {invoice['due_date']}")

        pdf = api.call("GET", f"/invoices/{invoice['id']}/pdf/", expect=200)
        assert pdf.headers["Content-Type"] == "application/pdf" and pdf.content[:5] == b"%PDF-"
        if args.pdf:
            with open(args.pdf, "wb") as file:
                file.write(pdf.content)
        step(f"PDF downloaded ({len(pdf.content)} bytes)")

        payment_body = {
            "client": client["id"],
            "amount": invoice["total_ttc"],
            "received_on": today,
            "method": "transfer",
            "reference": f"VIR {invoice['number']}",
            "allocations": [{"invoice": invoice["id"], "amount": invoice["total_ttc"]}],
        }
        key = str(uuid.uuid4())
        first = api.call("POST", "/payments/", expect=201, json=payment_body, idempotency_key=key)
        again = api.call("POST", "/payments/", expect=201, json=payment_body, idempotency_key=key)
        assert again.json()["id"] == first.json()["id"], "the retry recorded a second payment"
        assert again.headers.get("Idempotent-Replayed") == "true"
        step(f"payment {first.json()['id']} posted twice with one Idempotency-Key: recorded once")

        paid = api.call("GET", f"/invoices/{invoice['id']}/", expect=200).json()
        assert paid["status"] == "paid" and Decimal(paid["balance"]) == 0, paid
        step(f"invoice {paid['number']} reads as paid, balance {paid['balance']}")

        events = receiver.wait_for({"invoice.issued", "invoice.paid"}, args.webhook_timeout)
        for event in events:
            assert event["data"]["id"] == invoice["id"], event
        assert [event["type"] for event in events] == ["invoice.issued", "invoice.paid"]
        step("webhooks received with valid signatures, in order: invoice.issued, invoice.paid")
    finally:
        api.call("DELETE", f"/webhook-endpoints/{endpoint['id']}/", expect=204)
        receiver.server.shutdown()
    print("All steps behaved as documented.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
