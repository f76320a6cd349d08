"""A local HTTP server standing in for Slack's Web API and an incoming webhook.

It implements auth.test, chat.postMessage, conversations.open, conversations.list and
conversations.history (with message metadata), and a webhook path. Tests script the next
answers of a method: HTTP errors with headers (429 + Retry-After, 500), slow answers (a delay
before answering, with or without posting the message), or killing a client process right after
a message is posted (a crash between sending and logging).
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlparse

VALID_TOKEN = "xoxb-standin-token"
WEBHOOK_PATH = "/services/T000/B000/standin"


@dataclass
class Action:
    """One scripted answer: an HTTP status with headers, and/or a delay before answering."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    post: bool = True  # for a delayed chat.postMessage: whether Slack still posts the message


@dataclass
class Call:
    method: str
    at: float
    status: int


class SlackStandIn:
    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.calls: list[Call] = []
        self.scripts: dict[str, list[Action]] = {}
        self.kill_after_posts: tuple[int, int] | None = None  # (n-th post, pid)
        self._lock = threading.Lock()
        self._counter = 0
        self._stopped = False
        handler = type("Handler", (_Handler,), {"standin": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        port = self.server.server_address[1]
        return f"http://127.0.0.1:{port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    @property
    def webhook_url(self) -> str:
        return f"{self.url}{WEBHOOK_PATH}"

    def start(self) -> SlackStandIn:
        self.thread.start()
        return self

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self.server.shutdown()
        self.server.server_close()

    def script(self, method: str, *actions: Action) -> None:
        self.scripts.setdefault(method, []).extend(actions)

    def next_action(self, method: str) -> Action:
        with self._lock:
            queue = self.scripts.get(method) or []
            return queue.pop(0) if queue else Action()

    def record_call(self, method: str, status: int) -> None:
        with self._lock:
            self.calls.append(Call(method, time.monotonic(), status))

    def post(self, channel: str, payload: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._counter += 1
            message = {
                "channel": channel,
                "ts": f"{time.time():.0f}.{self._counter:06d}",
                "text": payload.get("text"),
                "blocks": payload.get("blocks"),
                "metadata": payload.get("metadata"),
            }
            self.messages.append(message)
            count = len(self.messages)
        if self.kill_after_posts and count == self.kill_after_posts[0]:
            os.kill(self.kill_after_posts[1], signal.SIGKILL)
        return message

    def alert_ids_received(self) -> list[str]:
        """Every alert id in every message received, with repeats (exactly once = no repeats)."""
        ids: list[str] = []
        for message in self.messages:
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            ids.extend(payload.get("alert_ids", []))
        return ids


def channel_id(channel: str) -> str:
    if channel.startswith("#"):
        return "C" + channel[1:].upper().replace("-", "")
    if channel[:1] in ("U", "W"):
        return "D" + channel
    return channel


class _Handler(BaseHTTPRequestHandler):
    standin: SlackStandIn

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def _params(self) -> dict[str, Any]:
        parsed = urlparse(self.path)
        params: dict[str, Any] = dict(parse_qsl(parsed.query))
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        if body:
            if "json" in (self.headers.get("Content-Type") or ""):
                params.update(json.loads(body))
            else:
                params.update(dict(parse_qsl(body)))
        for key in ("blocks", "metadata"):
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        return params

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = (json.dumps(body) if not isinstance(body, str) else body).encode()
        try:
            self.send_response(status)
            self.send_header(
                "Content-Type", "application/json" if not isinstance(body, str) else "text/plain"
            )
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout) or died
            pass

    def do_GET(self) -> None:
        self.do_POST()

    def do_POST(self) -> None:
        standin = self.standin
        path = urlparse(self.path).path
        params = self._params()
        if path == WEBHOOK_PATH:
            self._webhook(params)
            return
        if path.startswith("/services/"):
            self._send(404, "no_service")
            return
        method = path.removeprefix("/api/")
        action = standin.next_action(method)
        if action.delay:
            if method == "chat.postMessage" and action.post:
                standin.post(params["channel"], params)  # Slack posted it; the answer is slow
            time.sleep(action.delay)
            standin.record_call(method, 0)
            return  # the client has timed out: no answer needed
        standin.record_call(method, action.status)
        if action.status != 200:
            self._send(action.status, {"ok": False, "error": "scripted"}, action.headers)
            return
        token = (self.headers.get("Authorization") or "").removeprefix("Bearer ").strip()
        if not token:
            self._send(200, {"ok": False, "error": "not_authed"})
            return
        if token != VALID_TOKEN:
            self._send(200, {"ok": False, "error": "invalid_auth"})
            return
        self._send(200, self._answer(method, params))

    def _answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        standin = self.standin
        if method == "auth.test":
            return {"ok": True, "team": "standin", "user": "ciw-bot"}
        if method == "chat.postMessage":
            message = standin.post(params["channel"], params)
            return {"ok": True, "channel": channel_id(message["channel"]), "ts": message["ts"]}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": channel_id(str(params["users"]))}}
        if method == "conversations.list":
            names = sorted(
                {m["channel"][1:] for m in standin.messages if m["channel"].startswith("#")}
            )
            return {
                "ok": True,
                "channels": [{"id": channel_id("#" + name), "name": name} for name in names],
                "response_metadata": {"next_cursor": ""},
            }
        if method == "conversations.history":
            oldest = float(params.get("oldest") or 0)
            found = [
                {"ts": m["ts"], "text": m["text"], "metadata": m["metadata"]}
                for m in standin.messages
                if channel_id(m["channel"]) == params["channel"] and float(m["ts"]) >= oldest
            ]
            return {"ok": True, "messages": found[::-1], "response_metadata": {"next_cursor": ""}}
        return {"ok": False, "error": "unknown_method"}

    def _webhook(self, params: dict[str, Any]) -> None:
        standin = self.standin
        action = standin.next_action("webhook")
        if action.delay:
            if action.post:
                standin.post("webhook", params)
            time.sleep(action.delay)
            standin.record_call("webhook", 0)
            return
        standin.record_call("webhook", action.status)
        if action.status != 200:
            self._send(action.status, "scripted_error", action.headers)
            return
        standin.post("webhook", params)
        self._send(200, "ok")
