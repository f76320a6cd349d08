"""A stand-in marketing tool on loopback: it checks the HMAC signature and the timestamp of
each campaign webhook like a real receiver would, records what it accepted, and can be told
to fail the next requests."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request, Response

SECRET = "standin-marketing-secret"
PATH = "/hooks/campaigns"
#: Requests signed longer ago than this are replays.
MAX_AGE_SECONDS = 300


@dataclass
class MarketingStandIn:
    accepted: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)

    def app(self) -> FastAPI:
        api = FastAPI()

        @api.post(PATH)
        async def campaign(request: Request) -> Response:
            body = await request.body()
            stamp = request.headers.get("x-ciw-timestamp", "")
            signature = request.headers.get("x-ciw-signature", "")
            expected = (
                "v1="
                + hmac.new(
                    SECRET.encode(), f"v1:{stamp}:".encode() + body, hashlib.sha256
                ).hexdigest()
            )
            if not stamp.isdigit() or abs(time.time() - int(stamp)) > MAX_AGE_SECONDS:
                self.rejected.append("stale")
                return Response("stale timestamp", status_code=401)
            if not hmac.compare_digest(signature, expected):
                self.rejected.append("signature")
                return Response("bad signature", status_code=401)
            if self.fail_next:
                return Response("campaign service down", status_code=self.fail_next.pop(0))
            payload = json.loads(body)
            payload["idempotency_key"] = request.headers.get("idempotency-key")
            self.accepted.append(payload)
            return Response('{"ok": true}', status_code=202, media_type="application/json")

        return api
