"""A local HTTP server standing in for Salesforce: the OAuth 2.0 client-credentials token
endpoint and sObject Collections writes (upsert by external id, update by id), over real
sockets on loopback.

It checks what a real org checks - the bearer token, the path and API version, the JSON body,
at most 200 records, the record type, the key field, the fields and their values - and keeps
the records (``standin_org.Org``), so a test reads the org's state instead of trusting the
client. Scripted ``Fault``s answer a route's next requests with 429 (+ Retry-After),
``403 REQUEST_LIMIT_EXCEEDED``, 5xx, a reset connection, or act first and then lose the
answer; ``expire_tokens()`` makes every issued token answer ``401 INVALID_SESSION_ID``; and
``kill_on_request`` SIGKILLs the client process at its n-th request, before or after the
stand-in acted on it.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import struct
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlparse

from tests.crm.standin_org import Malformed, Org
from tests.kill_switch import KillSwitch

CLIENT_ID = "standin-client-id"
CLIENT_SECRET = "standin-client-secret-3f9a"
TOKEN_PATH = "/services/oauth2/token"
WRITE_PATH = re.compile(r"^/services/data/v(\d{2}\.\d)/composite/sobjects(?:/(\w+)/(\w+))?$")


@dataclass
class Fault:
    """A scripted answer: ``status`` with Salesforce's error body (``code``) and headers;
    ``act`` applies the write first (the answer is then lost); ``reset`` closes the
    connection instead of answering."""

    status: int
    code: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    act: bool = False
    reset: bool = False


@dataclass
class Call:
    route: str  # token / write
    status: int  # 0: no answer
    sobject: str = ""
    records: list[dict[str, Any]] = field(default_factory=list)
    authorization: str = ""


class SalesforceStandIn(KillSwitch):
    def __init__(self) -> None:
        super().__init__()
        self.org = Org()
        self.tokens: set[str] = set()
        self.calls: list[Call] = []
        #: Per route (token / write), the next requests' answers; None answers normally.
        self.faults: dict[str, list[Fault | None]] = {}
        self._issued = 0
        self._lock = threading.Lock()
        handler = type("Handler", (_Handler,), {"standin": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def token_url(self) -> str:
        return self.url + TOKEN_PATH

    def start(self) -> SalesforceStandIn:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def script(self, route: str, *faults: Fault | None) -> None:
        with self._lock:
            self.faults.setdefault(route, []).extend(faults)

    def expire_tokens(self) -> None:
        with self._lock:
            self.tokens.clear()

    def write_calls(self) -> list[Call]:
        return [call for call in self.calls if call.route == "write"]

    # --- used by the handler -------------------------------------------------------------

    def next_fault(self, route: str) -> Fault | None:
        with self._lock:
            queue = self.faults.get(route) or []
            return queue.pop(0) if queue else None

    def issue_token(self) -> str:
        with self._lock:
            self._issued += 1
            token = f"00DSTANDIN!token{self._issued:04d}"
            self.tokens.add(token)
        return token


class _Handler(BaseHTTPRequestHandler):
    standin: SalesforceStandIn

    def log_message(self, format: str, *args: Any) -> None:
        return

    def finish(self) -> None:
        with contextlib.suppress(OSError):  # the socket was reset on purpose
            super().finish()

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True

    def _reset(self) -> None:
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def _answer(self, call: Call, status: int, body: Any, fault: Fault | None) -> None:
        """Answer (or, under a fault, fail) after the kill point, recording the call."""
        standin = self.standin
        if fault is not None:
            status, body = fault.status, [{"message": "scripted", "errorCode": fault.code}]
        call.status = 0 if fault and fault.reset else status
        with standin._lock:
            standin.calls.append(call)
        if fault is not None and fault.reset:
            self._reset()
            return
        self._send(status, body, fault.headers if fault else None)

    def do_POST(self) -> None:
        standin = self.standin
        body = self._body()
        if urlparse(self.path).path != TOKEN_PATH:
            self._send(404, [{"errorCode": "NOT_FOUND", "message": "not found"}])
            return
        kill = standin.count_request()
        if kill == "before":
            standin.kill_client()
            return
        fault = standin.next_fault("token")
        form = dict(parse_qsl(body.decode()))
        status, answer = 200, {}
        if form.get("grant_type") != "client_credentials":
            status, answer = 400, _oauth_error("unsupported_grant_type", "grant type not supported")
        elif (form.get("client_id"), form.get("client_secret")) != (CLIENT_ID, CLIENT_SECRET):
            status, answer = 400, _oauth_error("invalid_client", "invalid client credentials")
        elif fault is None or fault.act:
            answer = {
                "access_token": standin.issue_token(),
                "instance_url": standin.url,
                "id": f"{standin.url}/id/00DSTANDIN/005STANDIN",
                "token_type": "Bearer",
                "issued_at": "1767225600000",
                "signature": "c3RhbmRpbg==",
            }
        if kill == "after":
            standin.kill_client()
            return
        self._answer(Call("token", status), status, answer, fault)

    def do_PATCH(self) -> None:
        standin = self.standin
        raw = self._body()
        match = WRITE_PATH.match(urlparse(self.path).path)
        kill = standin.count_request()
        if kill == "before":
            standin.kill_client()
            return
        authorization = self.headers.get("Authorization") or ""
        call = Call("write", 0, authorization=authorization)
        status, answer, fault = self._write(match, raw, authorization, call)
        if kill == "after":
            standin.kill_client()
            return
        self._answer(call, status, answer, fault)

    def _write(
        self, match: re.Match[str] | None, raw: bytes, authorization: str, call: Call
    ) -> tuple[int, Any, Fault | None]:
        """Check the request and apply it; a scripted fault is drawn once the request is
        authenticated and parsed, and replaces the answer."""
        org = self.standin.org
        if match is None:
            return 404, [{"errorCode": "NOT_FOUND", "message": "resource does not exist"}], None
        token = authorization.removeprefix("Bearer ").strip()
        if not authorization.startswith("Bearer ") or token not in self.standin.tokens:
            expired = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
            return 401, expired, None
        if "application/json" not in (self.headers.get("Content-Type") or ""):
            return 415, [{"errorCode": "UNSUPPORTED_MEDIA_TYPE", "message": "send JSON"}], None
        try:
            body = json.loads(raw)
        except ValueError:
            return 400, [{"errorCode": "JSON_PARSER_ERROR", "message": "unparsable body"}], None
        records = body.get("records") if isinstance(body, dict) else None
        call.records = records if isinstance(records, list) else []
        first = call.records[0] if call.records and isinstance(call.records[0], dict) else {}
        call.sobject = match.group(2) or first.get("attributes", {}).get("type", "")
        fault = self.standin.next_fault("write")
        if fault is not None and not fault.act:
            return fault.status, None, fault
        try:
            return 200, org.write(call.sobject, match.group(3), body), fault
        except Malformed as malformed:
            return 400, malformed.body, fault


def _oauth_error(code: str, description: str) -> dict[str, str]:
    return {"error": code, "error_description": description}
