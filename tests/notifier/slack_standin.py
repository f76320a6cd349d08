"""A local HTTP server standing in for Slack's Web API and an incoming webhook.

It implements auth.test, chat.postMessage, chat.update and chat.postEphemeral (both recorded),
conversations.open, conversations.list and conversations.history (with message metadata), and
a webhook path. Tests script the next
answers of a method (``standin_faults.Action``): HTTP errors with headers (429 + Retry-After,
500), slow answers (a delay before answering, with or without posting the message), a message
posted and then its answer lost (a 5xx, a proxy's HTML page, a reset, an unparsable 200); or
turn on seeded random ``Faults``; or make the history lag behind; or kill a client process on
its n-th request, before or after the stand-in acted on it (a crash at any point of a batch).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import struct
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlparse

from tests.kill_switch import KillSwitch, KillWhen
from tests.notifier.standin_faults import HTML_PAGE, Action, Faults

__all__ = ["VALID_TOKEN", "Action", "Call", "Faults", "KillWhen", "SlackStandIn"]

VALID_TOKEN = "xoxb-standin-token"
WEBHOOK_PATH = "/services/T000/B000/standin"


@dataclass
class Call:
    method: str
    at: float
    status: int  # 0: no answer (reset, or slower than the client waits)
    action: str = "200"  # Action.name


class SlackStandIn(KillSwitch):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[dict[str, Any]] = []
        #: chat.update calls that changed a message, and chat.postEphemeral calls, in order.
        self.updates: list[dict[str, Any]] = []
        self.ephemerals: list[dict[str, Any]] = []
        self.calls: list[Call] = []
        self.scripts: dict[str, list[Action]] = {}
        self.kill_after_posts: tuple[int, int] | None = None  # (n-th post, pid)
        self.faults: Faults | None = None
        #: How many conversations.history answers leave a new message out (the history lags
        #: behind chat.postMessage); counted, not timed, so that a loaded machine cannot change
        #: what a test sees.
        self.history_lag = 0
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
            if queue:
                return queue.pop(0)
        return self.faults.draw() if self.faults else Action()

    def record_call(self, method: str, status: int, action: str = "200") -> None:
        with self._lock:
            self.calls.append(Call(method, time.monotonic(), status, action))

    def visible(self, message: dict[str, Any]) -> bool:
        """Whether this conversations.history answer shows the message (see ``history_lag``)."""
        with self._lock:
            if message["hidden_from_history"] > 0:
                message["hidden_from_history"] -= 1
                return False
        return True

    def post(self, channel: str, payload: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._counter += 1
            message = {
                "channel": channel,
                "ts": f"{time.time():.0f}.{self._counter:06d}",
                "text": payload.get("text"),
                "blocks": payload.get("blocks"),
                "metadata": payload.get("metadata"),
                "hidden_from_history": self.history_lag,
                "received_at": time.monotonic(),
            }
            self.messages.append(message)
            count = len(self.messages)
        if self.kill_after_posts and count == self.kill_after_posts[0]:
            os.kill(self.kill_after_posts[1], signal.SIGKILL)
        return message

    def update(self, params: dict[str, Any]) -> dict[str, Any]:
        """chat.update: the message at (channel id, ts) gets the new text and blocks."""
        with self._lock:
            for message in self.messages:
                if channel_id(message["channel"]) == params["channel"] and (
                    message["ts"] == params["ts"]
                ):
                    message["text"] = params.get("text", message["text"])
                    message["blocks"] = params.get("blocks", message["blocks"])
                    self.updates.append(dict(params))
                    return {"ok": True, "channel": params["channel"], "ts": params["ts"]}
        return {"ok": False, "error": "message_not_found"}

    def alert_ids_received(self) -> list[str]:
        """Every alert id in every message received, with repeats (exactly once = no repeats)."""
        return [alert_id for _, alert_id in alert_deliveries(self.messages)]

    def message_by_ts(self) -> dict[str, dict[str, Any]]:
        return {str(message["ts"]): message for message in self.messages}


def alert_deliveries(messages: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(channel, alert id) for every alert every message carried (its metadata), with repeats."""
    return [
        (message["channel"], alert_id)
        for message in messages
        for alert_id in ((message.get("metadata") or {}).get("event_payload") or {}).get(
            "alert_ids", []
        )
    ]


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

    def _send(
        self,
        status: int,
        body: Any,
        headers: dict[str, str] | None = None,
        reply: str = "json",
    ) -> None:
        if reply == "reset":  # SO_LINGER 0: close with RST, the client sees a reset
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        content_type = "application/json" if not isinstance(body, str) else "text/plain"
        if reply == "html":
            body, content_type = HTML_PAGE.format(status=status), "text/html"
        data = (json.dumps(body) if not isinstance(body, str) else body).encode()
        length = len(data)
        if reply == "truncated":
            data = data[: len(data) // 2]
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(length))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout) or died
            pass
        self.close_connection = True

    def finish(self) -> None:
        with contextlib.suppress(OSError):  # the socket was reset on purpose
            super().finish()

    def do_GET(self) -> None:
        self.do_POST()

    def do_POST(self) -> None:
        standin = self.standin
        path = urlparse(self.path).path
        params = self._params()
        if path.startswith("/services/") and path != WEBHOOK_PATH:
            self._send(404, "no_service")
            return
        method = "webhook" if path == WEBHOOK_PATH else path.removeprefix("/api/")
        kill = standin.count_request()
        if kill == "before":
            standin.kill_client()
            return
        action = standin.next_action(method)
        if action.delay:
            if method in ("chat.postMessage", "webhook") and action.post:
                self._act(method, params)  # Slack posted it; the answer is slow
            if kill == "after":
                standin.kill_client()
                return
            time.sleep(action.delay)
            standin.record_call(method, 0, action.name)
            return  # the client has timed out: no answer needed
        answer = self._act(method, params) if action.acts else None
        if kill == "after":
            standin.kill_client()
            return
        standin.record_call(method, 0 if action.reply == "reset" else action.status, action.name)
        if action.status != 200 or answer is None:
            error: Any = "scripted_error" if method == "webhook" else {"ok": False, "error": "x"}
            self._send(action.status, error, action.headers, action.reply)
            return
        self._send(200, answer, action.headers, action.reply)

    def _act(self, method: str, params: dict[str, Any]) -> Any:
        """Do what Slack does with the call; its answer (a 200's body)."""
        if method == "webhook":
            self.standin.post("webhook", params)
            return "ok"
        token = (self.headers.get("Authorization") or "").removeprefix("Bearer ").strip()
        if not token:
            return {"ok": False, "error": "not_authed"}
        if token != VALID_TOKEN:
            return {"ok": False, "error": "invalid_auth"}
        return self._answer(method, params)

    def _answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        standin = self.standin
        if method == "auth.test":
            return {"ok": True, "team": "standin", "user": "ciw-bot"}
        if method == "chat.postMessage":
            message = standin.post(params["channel"], params)
            return {"ok": True, "channel": channel_id(message["channel"]), "ts": message["ts"]}
        if method == "chat.update":
            return standin.update(params)
        if method == "chat.postEphemeral":
            with standin._lock:
                standin.ephemerals.append(
                    {"channel": params["channel"], "user": params["user"], "text": params["text"]}
                )
            return {"ok": True, "message_ts": f"{time.time():.6f}"}
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
                if channel_id(m["channel"]) == params["channel"]
                and float(m["ts"]) >= oldest
                and standin.visible(m)
            ]
            return {"ok": True, "messages": found[::-1], "response_metadata": {"next_cursor": ""}}
        return {"ok": False, "error": "unknown_method"}
