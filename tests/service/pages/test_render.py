"""Pure parts of the pages: number formats, chart specs, scope filters, navigation."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from service.pages import charts
from service.pages.guard import safe_next as _safe_next
from service.pages.marts import STALE_AFTER_HOURS, is_stale, marts_age_hours, owner_filter
from service.pages.render import (
    MISSING,
    day,
    home_path,
    humanize,
    money,
    navigation,
    num,
    pct,
    signed,
)
from service.pages.session import PageSession


def _session(role: str, user: str | None = "USR4") -> PageSession:
    return PageSession("k", role, user, 0.0, "t")


def test_number_formats() -> None:
    assert money(Decimal("1234.4")) == "$1,234"
    assert money(1_468_617.92) == "$1,468,618"
    assert pct(0.1234) == "12.3%" and pct(None) == MISSING
    assert num(float("nan")) == MISSING and num(12345) == "12,345" and num(3.14159, 1) == "3.1"
    assert signed(0.5) == "+0.50" and signed(-1.234, 1) == "-1.2"
    assert day(date(2026, 10, 31)) == "2026-10-31"
    assert day(datetime(2026, 10, 31, 6, 5)) == "2026-10-31 06:05"
    assert humanize("at_risk") == "at risk" and humanize(None) == MISSING
    assert money("text") == MISSING


def test_chart_specs_carry_the_rows() -> None:
    rows = [{"band": "critical", "n": 3}, {"band": "at_risk", "n": Decimal("2")}]
    bar = charts.bars("t", rows, "band", "n", "count")
    assert bar["data"][0]["x"] == ["critical", "at risk"]
    assert bar["data"][0]["y"] == [3, 2.0]
    assert bar["data"][0]["marker"]["color"] == [
        charts.COLOURS["critical"],
        charts.COLOURS["at_risk"],
    ]
    trend = [
        {"d": date(2026, 1, 1), "s": "all", "v": 70.0},
        {"d": date(2026, 1, 8), "s": "all", "v": 72.0},
        {"d": date(2026, 1, 1), "s": "smb", "v": 60.0},
    ]
    lines = charts.lines("t", trend, "d", "s", "v", "index")
    assert [trace["name"] for trace in lines["data"]] == ["all", "smb"]
    assert lines["data"][0]["x"] == ["2026-01-01", "2026-01-08"]
    grouped = charts.grouped_bars("t", trend, "d", "s", "v", "index")
    assert grouped["layout"]["barmode"] == "group"
    assert all(trace["type"] == "bar" and "mode" not in trace for trace in grouped["data"])


def test_owner_filters() -> None:
    assert owner_filter(("owner",), None) == ("1 = 1", [])
    assert owner_filter(("owner",), frozenset()) == ("1 = 0", [])
    sql, params = owner_filter(("owner", "csm"), frozenset({"B", "A"}))
    assert sql == "(owner in (%s, %s) or csm in (%s, %s))" and params == ["A", "B", "A", "B"]


def test_staleness() -> None:
    built = datetime(2026, 12, 1, 6, 0).astimezone()
    assert marts_age_hours(None) is None and not is_stale(None)
    age = marts_age_hours(built, built.replace(day=2, hour=9))
    assert age == 27.0 and is_stale(age) and not is_stale(STALE_AFTER_HOURS)


def test_each_role_lands_on_its_page_and_sees_its_links() -> None:
    assert home_path(_session("rep")) == "/pages/reps/USR4"
    assert home_path(_session("manager")) == "/pages/manager"
    assert home_path(_session("cro")) == home_path(_session("admin")) == "/pages/cro"
    rep_links = [href for _, href in navigation(_session("rep"))]
    assert "/pages/cro" not in rep_links and "/pages/reps/USR4" in rep_links
    assert "/pages/cro" in [href for _, href in navigation(_session("admin"))]


def test_only_pages_of_this_site_are_places_to_return_to() -> None:
    assert _safe_next("/pages/alerts?status=open") == "/pages/alerts?status=open"
    for hostile in ("https://evil.example/", "//evil.example/pages/", "/pages//evil", None, "/\\x"):
        assert _safe_next(hostile) == "/pages/"
