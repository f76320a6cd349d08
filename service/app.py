"""The HTTP service: ``create_app(settings)`` is what ``ciw serve`` runs on uvicorn.

It mounts the API routers (profiles, accounts, sales, alerts), the operational routes
(``/healthz``, ``/readyz``, ``/metrics``), Slack's actions endpoint and, when that package is
present, the pages. Every API route needs a key (``service.auth``) and answers only within
the caller's scope (``service.scope``). Errors are one JSON line ``{"detail": ...}``; an
unexpected one is logged by route and type (never a key, an email or a phone number) and
answered 500 without a trace.
"""

from __future__ import annotations

import importlib
import logging
import threading
from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from service.auth import RateLimiter
from service.keys import KeyStore
from service.profiles import ProfileExtras
from service.reader import MartsReader, MartsUnavailable, WarehouseBusy
from service.request_log import RequestLog
from service.scope import ScopeCache
from warehouse.settings import Settings, env_number

logger = logging.getLogger("ciw.service")


@dataclass(frozen=True)
class ServiceOptions:
    """Tunables, from the environment by default."""

    #: Requests a second each key may make, and how many it may save up.
    rate_per_second: float = 50.0
    burst: int = 100
    #: Largest page a list endpoint returns.
    max_page_size: int = 500
    #: Marts older than this are stale (``/readyz`` and the pages' banner).
    stale_after_hours: float = 26.0
    #: How often request timings are written to ``ops.api_requests`` (0: never; ``ciw serve``
    #: writes every 60 s unless ``CIW_API_LOG_SECONDS`` says otherwise).
    request_log_seconds: float = 0.0

    @classmethod
    def from_env(cls) -> ServiceOptions:
        return cls(
            rate_per_second=env_number("CIW_API_RATE_LIMIT", cls.rate_per_second),
            burst=int(env_number("CIW_API_RATE_BURST", cls.burst)),
            max_page_size=int(env_number("CIW_API_MAX_PAGE", cls.max_page_size)),
            stale_after_hours=env_number("CIW_MARTS_STALE_HOURS", cls.stale_after_hours),
            # 0 turns the request log off
            request_log_seconds=env_number(
                "CIW_API_LOG_SECONDS",
                cls.request_log_seconds,
                what="a number of seconds",
                zero=True,
            ),
        )


def create_app(
    settings: Settings, options: ServiceOptions | None = None, *, warm_up: bool = True
) -> FastAPI:
    """The service for the warehouse of ``settings``; ``warm_up`` loads Feast in the
    background at once, so the first profile request does not wait seconds for it."""
    from service import metrics
    from service.routers import accounts, alerts, customers, forecast, health, reviews, sales
    from service.routers.events import router as events_router
    from service.routers.slack_actions import router as slack_router

    options = options or ServiceOptions.from_env()
    app = FastAPI(
        title="Customer Intelligence Warehouse API",
        version="1",
        description="Profiles, accounts, pipeline, leads, deals and alerts, scoped by API key.",
    )
    app.state.settings = settings
    app.state.options = options
    app.state.keys = KeyStore(settings)
    app.state.reader = MartsReader(settings)
    app.state.profiles = ProfileExtras(settings)
    app.state.scopes = ScopeCache(app.state.reader)
    app.state.limiter = RateLimiter(options.rate_per_second, options.burst)
    app.state.gateway = None  # the Feast gateway, built on the first profile request
    app.state.request_log = RequestLog(settings)
    app.state.request_log.start(options.request_log_seconds)
    metrics.install(app)
    for module in (customers, accounts, sales, forecast, reviews, alerts, health):
        app.include_router(module.router)
    app.include_router(slack_router)
    app.include_router(events_router)
    _mount_pages(app)
    _install_error_handlers(app)
    if warm_up:
        threading.Thread(target=_warm_up, args=(app,), name="ciw-warm-up", daemon=True).start()
    return app


def _warm_up(app: FastAPI) -> None:
    from service.routers.customers import gateway_of

    try:
        gateway_of(app.state).customer_profile(1)
    except Exception as error:  # an empty store says so on the first request instead
        logger.info("warm-up: %s", type(error).__name__)


def _mount_pages(app: FastAPI) -> None:
    """The pages (``service.pages``), when that package is part of this checkout."""
    try:
        pages = importlib.import_module("service.pages")
    except ModuleNotFoundError as missing:
        if missing.name not in ("service.pages",):
            raise
        return
    router = getattr(pages, "router", None)
    if router is not None:
        app.include_router(router)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        problems = []
        for problem in error.errors()[:5]:
            where = ".".join(str(part) for part in problem.get("loc", ()) if part != "body")
            where = where or "body"  # the body as a whole (not JSON, not an object)
            problems.append(f"{where}: {problem.get('msg', 'invalid')}")
        return JSONResponse(status_code=422, content={"detail": "; ".join(problems)})

    @app.exception_handler(MartsUnavailable)
    async def unavailable(_: Request, error: MartsUnavailable) -> JSONResponse:
        return JSONResponse(status_code=503, content={"detail": str(error)})

    @app.exception_handler(WarehouseBusy)
    async def busy(_: Request, error: WarehouseBusy) -> JSONResponse:
        return JSONResponse(
            status_code=503, content={"detail": str(error)}, headers={"Retry-After": "30"}
        )
