"""A webhook receiver for the tests: a real HTTP server on 127.0.0.1, in a thread, that
records what it gets and checks each signature with the endpoint's secret, as a customer's
receiver would (docs/webhooks.md)."""

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from webhooks.signing import verify


@dataclass
class Received:
    headers: dict
    body: bytes
    signed: bool

    @property
    def event(self):
        return json.loads(self.body)


@dataclass
class Receiver:
    """`status` is what it answers; `secret` what it verifies with (set once known)."""

    status: int = 200
    secret: str = ""
    requests: list = field(default_factory=list)
    server: ThreadingHTTPServer = None

    @property
    def url(self):
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/hooks"

    @property
    def events(self):
        return [request.event for request in self.requests]

    @property
    def types(self):
        return [event["type"] for event in self.events]

    def start(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                signed = verify(receiver.secret, body, self.headers.get("Portage-Signature", ""))
                receiver.requests.append(Received(dict(self.headers), body, signed))
                self.send_response(receiver.status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if receiver.status < 300 else b"receiver is down")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # A short poll interval: `shutdown` waits for the next poll, at the end of every test.
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
