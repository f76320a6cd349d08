"""Time to first byte of every page, signed in as each role, over real HTTP on loopback.

``bench_pages(app_or_url, keys)`` signs in through the form with each role's raw API key and
requests every page of that role ``repeats`` times, timing from sending the request to the
response's first byte (its status line and headers). ``ciw bench --api`` calls it beside the
profile load test; goal: every page's p50 at most ``GOAL_MS``.
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

GOAL_MS = 300.0


@dataclass(frozen=True)
class PageTiming:
    page: str
    role: str
    requests: int
    p50_ms: float
    p95_ms: float
    max_ms: float
    status: int

    @property
    def within_goal(self) -> bool:
        return self.status == 200 and self.p50_ms <= GOAL_MS


def role_pages(role: str, user_id: str, manager_id: str | None = None) -> list[str]:
    """The pages one role opens, in the order of its navigation."""
    pages = ["/pages/health", "/pages/alerts"]
    if role in ("cro", "admin"):
        pages.insert(1, "/pages/cro")
        if manager_id:
            pages.insert(2, f"/pages/manager?manager={manager_id}")
    elif role == "manager":
        pages.insert(1, "/pages/manager")
    elif role == "rep":
        pages.insert(1, f"/pages/reps/{user_id}")
    return pages


def _sign_in(client: Any, raw_key: str) -> None:
    form = client.get("/pages/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    if token is None:
        raise RuntimeError(f"no sign-in form at {client.base_url}/pages/login")
    answer = client.post("/pages/login", data={"api_key": raw_key, "csrf_token": token.group(1)})
    if answer.status_code != 303:
        raise RuntimeError(f"sign-in refused ({answer.status_code}): check the key")


def _first_byte_ms(client: Any, path: str) -> tuple[float, int]:
    started = time.perf_counter()
    with client.stream("GET", path) as response:  # returns once the status line has arrived
        elapsed = (time.perf_counter() - started) * 1000
        for _ in response.iter_raw():
            pass
    return elapsed, response.status_code


def bench_pages(
    base_url: str,
    sessions: Mapping[str, tuple[str, Sequence[str]]],
    *,
    repeats: int = 20,
) -> list[PageTiming]:
    """TTFB per (role, page): ``sessions`` maps a role to (raw API key, its pages). The first
    request of each page is a warm-up and not counted."""
    import httpx

    timings = []
    for role, (raw_key, pages) in sessions.items():
        with httpx.Client(base_url=base_url, timeout=60, follow_redirects=False) as client:
            _sign_in(client, raw_key)
            for page in pages:
                _first_byte_ms(client, page)
                samples, status = [], 0
                for _ in range(repeats):
                    elapsed, status = _first_byte_ms(client, page)
                    samples.append(elapsed)
                samples.sort()
                timings.append(
                    PageTiming(
                        page=page,
                        role=role,
                        requests=repeats,
                        p50_ms=statistics.median(samples),
                        p95_ms=samples[min(len(samples) - 1, int(len(samples) * 0.95))],
                        max_ms=samples[-1],
                        status=status,
                    )
                )
    return timings


def pages_markdown(timings: Sequence[PageTiming]) -> str:
    """The figures as a Markdown table for docs/benchmarks.md."""
    lines = [
        f"| page | role | requests | p50 ms | p95 ms | max ms | goal ≤ {GOAL_MS:.0f} ms |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for timing in timings:
        verdict = "met" if timing.within_goal else f"missed (HTTP {timing.status})"
        lines.append(
            f"| `{timing.page}` | {timing.role} | {timing.requests} | {timing.p50_ms:.1f}"
            f" | {timing.p95_ms:.1f} | {timing.max_ms:.1f} | {verdict} |"
        )
    return "\n".join(lines)


def bench_people(rows: Any) -> tuple[str, str]:
    """A rep with a manager (the one with most open deals) from ``marts.rep_deal_risk``."""
    found = rows(
        "select owner_user_id, manager_user_id from marts.rep_deal_risk"
        " where manager_user_id is not null order by open_deal_count desc, owner_user_id limit 1"
    )
    if not found:
        raise RuntimeError("no rep with a manager in marts.rep_deal_risk: run the pipeline first")
    return str(found[0]["owner_user_id"]), str(found[0]["manager_user_id"])


def role_sessions(keys: Any, rep: str, manager: str) -> dict[str, tuple[str, list[str]]]:
    """A new key and the pages of each role (CRO, the rep's manager, the rep)."""
    people = {"cro": "CRO", "manager": manager, "rep": rep}
    return {
        role: (keys.create(role, user)[1], role_pages(role, user, manager))
        for role, user in people.items()
    }


def measure_page_ttfb(target: Any, base_url: str, *, repeats: int = 20) -> list[PageTiming]:
    """For ``ciw bench --api``: each role's pages on the service already running at
    ``base_url`` for the warehouse ``target`` (keys are added to its key store; the service
    sees them within its refresh)."""
    from service.keys import KeyStore
    from warehouse import adapter_for

    with adapter_for(target).session() as session:
        rep, manager = bench_people(session.rows)
    sessions = role_sessions(KeyStore(target), rep, manager)
    time.sleep(2)  # the service re-reads the key table at most every second
    return bench_pages(base_url, sessions, repeats=repeats)


def bench_pages_of(settings: Any, *, repeats: int = 20) -> list[PageTiming]:
    """Every role's pages on the warehouse of ``settings`` (its published marts), served in
    this process, with keys in a throwaway key store so the warehouse itself is only read."""
    import tempfile
    from pathlib import Path

    from benchmarks.http_server import serve
    from service.app import create_app
    from service.keys import KeyStore
    from warehouse.settings import Settings

    app = create_app(settings)
    rep, manager = bench_people(app.state.reader.rows)
    with tempfile.TemporaryDirectory(prefix="ciw-pages-bench-") as folder:
        keys = KeyStore(
            Settings(
                target="duckdb",
                duckdb_path=Path(folder) / "keys.duckdb",
                artifacts_root=Path(folder) / "artifacts",
            )
        )
        app.state.keys = keys
        sessions = role_sessions(keys, rep, manager)
        with serve(app, start_timeout=30.0) as base_url:
            return bench_pages(base_url, sessions, repeats=repeats)
