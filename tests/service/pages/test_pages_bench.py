"""The pages' time-to-first-byte benchmark measures real pages (short run on the built
warehouse; the figures themselves come from ``ciw bench --api``)."""

from __future__ import annotations

from benchmarks.pages import GOAL_MS, PageTiming, bench_pages, pages_markdown, role_pages
from tests.service.pages.conftest import PagesService


def test_role_pages_follow_each_roles_navigation() -> None:
    assert role_pages("rep", "USR4") == ["/pages/health", "/pages/reps/USR4", "/pages/alerts"]
    assert role_pages("manager", "USR2") == ["/pages/health", "/pages/manager", "/pages/alerts"]
    assert role_pages("cro", "CRO", "USR2") == [
        "/pages/health",
        "/pages/cro",
        "/pages/manager?manager=USR2",
        "/pages/alerts",
    ]


def test_bench_pages_times_every_page_of_a_role(pages_service: PagesService) -> None:
    rep = pages_service.people.rep
    pages = role_pages("rep", rep)
    timings = bench_pages(
        pages_service.base_url, {"rep": (pages_service.keys["rep"], pages)}, repeats=3
    )
    assert [timing.page for timing in timings] == pages
    for timing in timings:
        assert timing.status == 200 and timing.requests == 3
        assert 0 < timing.p50_ms <= timing.p95_ms <= timing.max_ms
    table = pages_markdown(timings)
    assert f"`/pages/reps/{rep}`" in table and f"{GOAL_MS:.0f} ms" in table


def test_a_page_that_fails_misses_the_goal() -> None:
    failed = PageTiming("/pages/cro", "rep", 3, 5.0, 6.0, 7.0, status=403)
    assert not failed.within_goal
    assert "missed (HTTP 403)" in pages_markdown([failed])
