"""Prometheus metrics at ``/metrics``: request latency per route, errors, marts freshness.

Each app has a registry of its own (tests build many apps in one process). The route label is
the route's template (``/customers/{customer_id}/profile``), never the path a caller sent, so
ids do not become labels.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

logger = logging.getLogger("ciw.service")

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class ServiceMetrics:
    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "ciw_api_request_duration_seconds",
            "Time to answer a request, by route template and method.",
            ["route", "method"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.responses = Counter(
            "ciw_api_responses_total",
            "Responses by route template, method and status code.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.errors = Counter(
            "ciw_api_errors_total",
            "Responses with a 5xx status (server errors), by route template.",
            ["route"],
            registry=self.registry,
        )
        self.marts_age = Gauge(
            "ciw_marts_age_seconds",
            "Seconds since the served marts were published by a run (-1: unknown).",
            registry=self.registry,
        )
        self.online_store_ready = Gauge(
            "ciw_online_store_ready",
            "1 when the last readiness check could read the online store, else 0.",
            registry=self.registry,
        )

    def observe_freshness(self, published_at: datetime | None, now: datetime) -> None:
        age = (now - published_at).total_seconds() if published_at else -1.0
        self.marts_age.set(age)


def route_of(request: Request) -> str:
    route = request.scope.get("route")
    return str(getattr(route, "path", "unmatched"))


def install(app: FastAPI) -> None:
    """Time every request and count every response."""
    metrics = ServiceMetrics()
    app.state.metrics = metrics

    @app.middleware("http")
    async def measure(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        except Exception as error:  # answered here: one line in the log, no trace to the caller
            failed = type(error).__name__
            logger.error("%s %s failed: %s", request.method, route_of(request), failed)
            return JSONResponse(status_code=500, content={"detail": "internal error"})
        finally:
            route = route_of(request)
            method = request.method
            elapsed = time.perf_counter() - started
            metrics.latency.labels(route, method).observe(elapsed)
            metrics.responses.labels(route, method, str(status)).inc()
            request_log = getattr(request.app.state, "request_log", None)
            if request_log is not None:
                request_log.record(method, route, status, elapsed * 1e3)
            if status >= 500:
                metrics.errors.labels(route).inc()
