"""A local HTTP server standing in for a Microsoft Teams incoming webhook.

It records every card it accepts and answers like a legacy connector (200 with body ``1``) or
a Workflows webhook (202, empty). Scripted answers (``script``): a 429 with Retry-After, the
legacy connector's 200 carrying a 429 text, a 500 without posting, a card accepted and then
its answer lost (500, or the connection reset), a 400 refusal, a 404 for a revoked URL.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

WEBHOOK_PATH = "/webhookb2/standin/IncomingWebhook/abc/def"
#: Scripted answers: (name, posts the card?, HTTP status or 0 for a reset, body, headers)
ANSWERS: dict[str, tuple[bool, int, str, dict[str, str]]] = {
    "ok": (True, 200, "1", {}),
    "accepted": (True, 202, "", {}),
    "429": (False, 429, "Too many requests", {"Retry-After": "1"}),
    "legacy_429": (False, 200, "Microsoft Teams endpoint returned HTTP error 429", {}),
    "500": (False, 500, "Internal error", {}),
    "lost_500": (True, 500, "Internal error", {}),
    "lost_reset": (True, 0, "", {}),
    "400": (False, 400, "Bad payload: card schema", {}),
    "404": (False, 404, "Not found", {}),
}


class TeamsStandIn:
    def __init__(self, default: str = "ok") -> None:
        self.cards: list[dict[str, Any]] = []
        self.requests = 0
        self.default = default
        self.scripted: list[str] = []
        self._lock = threading.Lock()
        handler = type("Handler", (_Handler,), {"standin": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{WEBHOOK_PATH}"

    def start(self) -> TeamsStandIn:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def script(self, *answers: str) -> None:
        self.scripted.extend(answers)

    def next_answer(self) -> str:
        with self._lock:
            self.requests += 1
            return self.scripted.pop(0) if self.scripted else self.default

    def alert_ids_received(self) -> list[str]:
        ids = []
        for card in self.cards:
            footer = card["body"][-1]["text"]
            listed = footer.split("alert ids ", 1)[1].split(".", 1)[0]
            ids.extend(listed.split(", "))
        return ids


class _Handler(BaseHTTPRequestHandler):
    standin: TeamsStandIn

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        if self.path != WEBHOOK_PATH:
            self._reply(404, "Not found", {})
            return
        posts, status, text, headers = ANSWERS[self.standin.next_answer()]
        if posts:
            attachment = body["attachments"][0]
            assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
            with self.standin._lock:
                self.standin.cards.append(attachment["content"])
        if status == 0:  # reset the connection: the client never hears
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        self._reply(status, text, headers)

    def _reply(self, status: int, text: str, headers: dict[str, str]) -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
        self.close_connection = True
