"""A webhook receiver as a client's CRM would run one: a real HTTP server on 127.0.0.1 that verifies every
delivery with the Standard Webhooks reference library (not the portal's signing code), answers with the
statuses a test scripts, and accepts each ``webhook-id`` once."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError


class Receiver:
    def __init__(self, secret=None):
        self.secret = secret
        self.script = []  # statuses (or (status, headers)) to answer first; then 200
        self.accepted = []  # (webhook-id, event) verified and accepted, in order
        self.seen_ids = []  # every webhook-id that arrived, accepted or not
        self.refused = 0  # deliveries whose signature did not verify
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.handle(self, body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/crm"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def handle(self, handler, body):
        message_id = handler.headers.get("webhook-id")
        self.seen_ids.append(message_id)
        scripted = self.script.pop(0) if self.script else 200
        status, headers = scripted if isinstance(scripted, tuple) else (scripted, {})
        if status == 200:
            try:
                event = Webhook(self.secret).verify(body, dict(handler.headers))
            except WebhookVerificationError:
                self.refused += 1
                status = 400
            else:
                if message_id not in [accepted for accepted, _ in self.accepted]:  # idempotent by webhook-id
                    self.accepted.append((message_id, event))
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        answer = json.dumps({"status": status}).encode()
        handler.send_header("Content-Length", str(len(answer)))
        handler.end_headers()
        handler.wfile.write(answer)

    def events(self):
        return [event for _, event in self.accepted]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
