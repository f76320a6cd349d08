"""``/healthz`` (the process answers), ``/readyz`` (it can serve: online store and marts
reachable, marts fresh) and ``/metrics`` (Prometheus). None of them needs a key: they carry no
customer data."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Liveness: the process answers")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


def _marts_check(request: Request, now: datetime) -> tuple[bool, str, datetime | None]:
    reader = request.app.state.reader
    try:
        published = reader.published_at()
    except Exception as error:
        return False, f"marts unreachable: {str(error).splitlines()[0][:200]}", None
    if published is None:
        return False, "no run has published the marts yet: run `ciw run`", None
    hours = (now - published).total_seconds() / 3600
    limit = request.app.state.options.stale_after_hours
    if hours > limit:
        return False, f"marts are {hours:.1f} h old (stale after {limit:g} h)", published
    return True, f"marts published {hours:.1f} h ago", published


def _online_check(request: Request) -> tuple[bool, str]:
    from feature_repo.store import FeatureStoreError, UnknownCustomer
    from service.routers.customers import gateway_of

    try:
        gateway_of(request.app.state).customer_profile(1)
    except UnknownCustomer:
        pass  # the store answered: it just has no customer 1
    except FeatureStoreError as error:
        return False, str(error)[:300]
    except Exception as error:
        return False, f"online store unreachable: {type(error).__name__}"
    return True, "online store answers"


@router.get(
    "/readyz",
    summary="Readiness: the online store and the marts answer and the marts are fresh",
    responses={503: {"description": "not ready; the checks say why"}},
)
def readyz(request: Request) -> Response:
    now = datetime.now(UTC).replace(tzinfo=None)
    marts_ok, marts_detail, published = _marts_check(request, now)
    online_ok, online_detail = _online_check(request)
    metrics = request.app.state.metrics
    metrics.observe_freshness(published, now)
    metrics.online_store_ready.set(1 if online_ok else 0)
    body: dict[str, Any] = {
        "ready": marts_ok and online_ok,
        "marts": {"ok": marts_ok, "detail": marts_detail},
        "online_store": {"ok": online_ok, "detail": online_detail},
        "marts_published_at": published.isoformat() if published else None,
    }
    return JSONResponse(status_code=200 if body["ready"] else 503, content=body)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics(request: Request) -> Response:
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    state = request.app.state
    now = datetime.now(UTC).replace(tzinfo=None)
    try:
        published = state.reader.published_at()
    except Exception:
        published = None
    state.metrics.observe_freshness(published, now)
    return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
