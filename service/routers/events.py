"""``POST /events/{source}``: CRM, shop and product-usage events, scored as they happen.

Every request is hostile until proven otherwise: the source must be known (404), its secret
set (``CIW_EVENTS_SECRET_<SOURCE>``, else 503), the body small (413) and signed with that secret
within 5 minutes, each signature once (401 otherwise), the envelope well formed (400 / 422) and
the row valid under the loader's rules (422 with the reason, and a quarantine row). A valid
event is appended to raw and queued in ``ops.event_inbox`` in one transaction before the 202;
a repeat of an event id answers 200 and changes nothing; a full queue answers 429 with
Retry-After. Nothing here answers 500: an unexpected failure is a 503 with one line.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from events.schemas import MAX_BODY_BYTES, SOURCES, BadEnvelope, parse_envelope
from events.service import RETRY_AFTER_SECONDS, EventsService
from events.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, SignatureRejected, check_signature

logger = logging.getLogger("ciw.events")

_service_lock = threading.Lock()
#: ``CIW_EVENTS_WORKER=0`` keeps the worker out of ``ciw serve`` (run ``ciw events worker``).
WORKER_ENV = "CIW_EVENTS_WORKER"


def worker_wanted(app: Any) -> bool:
    """Whether this app runs the event worker beside the endpoint: as its builder says
    (``app.state.events_worker``), else on PostgreSQL when a source has a secret and
    ``CIW_EVENTS_WORKER`` is not 0 (on DuckDB ``ciw events serve`` takes events with its
    worker: one writing process per file)."""
    wanted = getattr(app.state, "events_worker", None)
    if wanted is not None:
        return bool(wanted)
    if os.environ.get(WORKER_ENV, "").strip().lower() in ("0", "false", "no", "off"):
        return False
    settings = getattr(app.state, "settings", None)
    if settings is None or settings.target != "postgres":
        return False
    return any(os.environ.get(source.secret_env) for source in SOURCES.values())


@asynccontextmanager
async def worker_lifespan(app: Any) -> AsyncIterator[None]:
    """The event worker on a thread of the service while it runs, when :func:`worker_wanted`.
    ``ciw events serve`` answers once its worker is ready; ``ciw serve`` starts it in the
    background (Feast and the models take seconds to load, longer on a busy machine) so that
    the API answers at once. If it cannot start, the service still takes events, which wait in
    the inbox."""
    holder: dict[str, Any] = {}
    starter = None
    if worker_wanted(app):

        def start() -> None:
            from events.worker import start_worker

            try:
                holder["running"] = start_worker(events_service(app))
            except Exception:
                logger.exception("the event worker did not start; events wait in the inbox")

        starter = threading.Thread(target=start, name="ciw-events-worker-start", daemon=True)
        starter.start()
        if getattr(app.state, "events_worker", None):  # the webhook's own service: wait
            await run_in_threadpool(starter.join)
    try:
        yield
    finally:
        if starter is not None:
            starter.join()
            running = holder.get("running")
            if running is not None:
                running.stop()


router = APIRouter(tags=["events"], lifespan=worker_lifespan)


def events_service(app: Any) -> EventsService:
    """The app's events service (opened on first use from the environment's settings)."""
    with _service_lock:
        service = getattr(app.state, "events_service", None)
        if service is None:
            from warehouse.settings import Settings

            settings = getattr(app.state, "settings", None) or Settings.from_env()
            service = EventsService.open(settings)
            app.state.events_service = service
    return service


def _error(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(status_code=status, content={"detail": detail}, headers=headers)


async def _body(request: Request) -> bytes | None:
    """The body, or None as soon as it passes the limit (never read whole)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


@router.post(
    "/events/{source}",
    summary="One signed event (CRM opportunity or account, order, cart, product usage)",
    status_code=202,
    responses={
        200: {"description": "a repeat of an event id already received: nothing changed"},
        401: {"description": "unsigned, forged, stale or replayed"},
        404: {"description": "unknown source"},
        413: {"description": "body larger than 64 KiB"},
        422: {"description": "not a valid event, or a row the loader's rules refuse"},
        429: {"description": "the queue is full: retry after Retry-After seconds"},
        503: {"description": "the source's secret is not set, or the warehouse is unavailable"},
    },
)
async def receive_event(source: str, request: Request) -> JSONResponse:
    known = SOURCES.get(source)
    if known is None:
        return _error(404, f"unknown event source {source!r}; known: {', '.join(SOURCES)}")
    secret = os.environ.get(known.secret_env, "")
    if not secret:
        return _error(503, f"{known.secret_env} is not set: events from {source} are refused")
    body = await _body(request)
    if body is None:
        return _error(413, f"request body larger than {MAX_BODY_BYTES} bytes")
    try:
        service = events_service(request.app)
        check_signature(
            secret,
            request.headers.get(TIMESTAMP_HEADER),
            request.headers.get(SIGNATURE_HEADER),
            body,
            service.guard,
        )
    except SignatureRejected as rejected:
        logger.warning("refused an event for %s: %s", source, rejected)
        return _error(401, str(rejected))
    except Exception as error:  # the warehouse cannot be opened: say so in one line
        return _error(503, f"events are unavailable: {_first_line(error)}")
    try:
        envelope = parse_envelope(body)
    except BadEnvelope as bad:
        return _error(bad.status, str(bad))
    try:
        full = await run_in_threadpool(service.full)
    except Exception as error:
        return _error(503, f"events are unavailable: {_first_line(error)}; retry later")
    if full:
        return _error(
            429,
            f"the event queue is full ({service.queue_max} pending); retry later",
            {"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    try:
        return await run_in_threadpool(
            _store, service, known.name, envelope.event_id, envelope.data
        )
    except Exception as error:  # never a 500 or a traceback to the caller
        logger.exception("storing event %s/%s failed", source, envelope.event_id)
        return _error(503, f"the event could not be stored ({_first_line(error)}); retry later")


def _store(
    service: EventsService, source: str, event_id: str, data: dict[str, Any]
) -> JSONResponse:
    known = SOURCES[source]
    accepted = service.inbox.accept(known, event_id, data)
    body: dict[str, Any] = {"event_id": event_id, "source": source, "status": accepted.outcome}
    if accepted.outcome == "duplicate":
        body["first_outcome"] = accepted.first_outcome
        if accepted.first_outcome == "quarantined":
            body["detail"] = f"event {event_id} was refused before: {accepted.reason}"
            return JSONResponse(status_code=422, content=body)
        return JSONResponse(status_code=200, content=body)
    if accepted.outcome == "quarantined":
        body["detail"] = f"{known.table_key}: {accepted.reason}"
        return JSONResponse(status_code=422, content=body)
    service.gauge.moved(+1)
    service.wakeup.set()
    return JSONResponse(status_code=202, content=body)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def standalone_app(service: EventsService | None = None, *, worker: bool = False) -> FastAPI:
    """A service holding this router alone (``ciw events serve``). ``worker`` also runs the
    event worker in this process (the router's lifespan)."""
    app = FastAPI(title="ciw events", docs_url=None, redoc_url=None)
    app.state.events_worker = worker
    if service is not None:
        app.state.events_service = service
    app.include_router(router)
    return app
