"""Every page in a real headless Chromium on the built DuckDB warehouse: signed in through the
form, no console error, failed request or uncaught exception, every chart drawn by the served
plotly.js, the key figures (read from the warehouse here) in the rendered text, a screenshot
per page. ``CIW_PAGE_SCREENSHOTS=docs/screenshots`` also writes the README's copies."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.auth import Caller
from service.pages.render import money, num, pct
from tests.service.pages.browser import Browser, chromium_path
from tests.service.pages.conftest import PagesService

#: On the worker that builds the DuckDB warehouse (a mark the collection hook adds comes too
#: late for xdist's grouping).
pytestmark = pytest.mark.xdist_group("built_duckdb")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    chromium_path()  # skip (or fail with CIW_REQUIRE_BROWSER=1) before starting anything
    opened = Browser(tmp_path_factory.mktemp("chromium_profile"))
    try:
        yield opened
    finally:
        opened.close()


def _sign_in(browser: Browser, service: PagesService, role: str) -> None:
    browser.open(f"{service.base_url}/pages/login")
    key = json.dumps(service.keys[role])
    browser.submit(
        f"document.getElementById('api_key').value = {key};"
        " document.querySelector('form.login').submit()"
    )
    assert "/pages/login" not in browser.url()


def _check_page(
    browser: Browser, service: PagesService, shots: Path, name: str, path: str, figures: list[str]
) -> str:
    before = len(browser.errors())
    browser.open(f"{service.base_url}{path}")
    assert browser.url().endswith(path), browser.url()
    text = browser.text()
    for figure in figures:
        assert figure in text, (name, figure)
    assert browser.errors()[before:] == []
    charts = browser.evaluate("document.querySelectorAll('[data-chart]').length")
    drawn = browser.evaluate("document.querySelectorAll('[data-drawn] .main-svg').length")
    assert drawn >= charts
    _save(browser.screenshot(shots / f"{name}.png"))
    return text


def _save(saved: Path) -> None:
    """Check a screenshot, and copy it small for the README (``CIW_PAGE_SCREENSHOTS``)."""
    assert saved.stat().st_size > 10_000
    if target := os.environ.get("CIW_PAGE_SCREENSHOTS"):
        from PIL import Image

        Path(target).mkdir(parents=True, exist_ok=True)
        with Image.open(saved) as image:
            image.quantize(colors=128).save(Path(target) / saved.name, optimize=True)


def _press(browser: Browser, key: str) -> None:
    codes = {"Tab": 9, "Enter": 13}
    for kind in ("keyDown", "keyUp"):
        browser.call(
            "Input.dispatchKeyEvent",
            {"type": kind, "key": key, "code": key, "windowsVirtualKeyCode": codes[key]},
        )


def test_sign_in_page(browser: Browser, pages_service: PagesService, screenshot_dir: Path) -> None:
    _check_page(browser, pages_service, screenshot_dir, "login", "/pages/login", ["API key"])
    label = browser.evaluate("document.querySelector('label[for=api_key]').textContent")
    assert label == "API key"
    assert browser.evaluate("document.activeElement.id") == "api_key"  # ready to type


def test_the_keyboard_reaches_the_skip_link_first(
    browser: Browser, pages_service: PagesService
) -> None:
    _sign_in(browser, pages_service, "rep")
    browser.open(f"{pages_service.base_url}/pages/health")
    browser.call("Page.bringToFront")
    browser.call("Emulation.setFocusEmulationEnabled", {"enabled": True})
    _press(browser, "Tab")
    assert browser.evaluate("document.activeElement.className") == "skip-link"
    _press(browser, "Enter")
    assert browser.evaluate("document.activeElement.id") == "main"
    _press(browser, "Tab")  # then into the page's own links and controls
    assert browser.evaluate("document.activeElement.closest('main') !== null")


def test_customer_health_overview(
    browser: Browser, pages_service: PagesService, screenshot_dir: Path
) -> None:
    built = pages_service.built
    mrr_at_risk = built.scalar(
        "select coalesce(sum(health.mrr), 0) from marts.account_health as health"
        " join marts.account_risk_scores as risk on risk.account_id = health.account_id"
        " where risk.churn_risk_band in ('high', 'critical')"
    )
    bands = built.query(
        "select churn_risk_band, count(*) from marts.customer_risk_scores group by 1"
    )
    _sign_in(browser, pages_service, "cro")
    text = _check_page(
        browser,
        pages_service,
        screenshot_dir,
        "customer_health",
        "/pages/health",
        [money(mrr_at_risk), *(f"{band}\t{num(count)}" for band, count in bands)],
    )
    assert "Accounts most at risk" in text


def test_cro_view(browser: Browser, pages_service: PagesService, screenshot_dir: Path) -> None:
    built = pages_service.built
    index, win_rate = built.query(
        "select pipeline_health_index, win_rate_90d from marts.pipeline_health"
        " where segment = 'all' order by as_of_date desc limit 1"
    )[0]
    deal_amount = built.scalar(
        "select coalesce(sum(deal.amount), 0) from marts.opportunity_pipeline as deal"
        " join marts.deal_risk_scores as risk on risk.opportunity_id = deal.opportunity_id"
        " where risk.risk_score > 75"
    )
    months = built.query(
        "select expected_won_amount, lower_won_amount, upper_won_amount"
        " from marts.pipeline_forecast where segment = 'all' and as_of_date ="
        " (select max(as_of_date) from marts.pipeline_forecast) order by forecast_month"
    )
    assert months, "the built warehouse has no pipeline forecast"
    forecast = [money(value) for row in months for value in row]
    forecast.append(money(sum(row[0] for row in months)))
    anomalies = built.query(
        "select kpi_date, robust_z from marts.kpi_anomalies order by kpi_date desc limit 20"
    )
    flagged = [f"{day.isoformat()}\t" for day, _ in anomalies] + [f"{z:+.1f}" for _, z in anomalies]
    _sign_in(browser, pages_service, "cro")
    text = _check_page(
        browser,
        pages_service,
        screenshot_dir,
        "cro_view",
        "/pages/cro",
        [num(index, 1), pct(win_rate), money(deal_amount), "Win rate by segment", *forecast],
    )
    assert all(mark in text for mark in flagged)
    # the forecast chart draws the expected line inside its interval band
    traces = browser.evaluate(
        "document.querySelector('[data-chart=chart-forecast]').data.map(t => t.name).join()"
    )
    assert traces == "upper,interval,expected"
    browser.evaluate("document.getElementById('forecast-heading').scrollIntoView()")
    _save(browser.screenshot(screenshot_dir / "cro_forecast.png"))


def test_manager_view(browser: Browser, pages_service: PagesService, screenshot_dir: Path) -> None:
    reps = pages_service.built.query(
        "select owner_name, avg_risk_score from marts.rep_deal_risk"
        f" where manager_user_id = '{pages_service.people.manager}'"
    )
    _sign_in(browser, pages_service, "manager")
    figures = [f"{name}\t" for name, _ in reps] + [num(risk, 1) for _, risk in reps]
    text = _check_page(
        browser, pages_service, screenshot_dir, "manager_view", "/pages/manager", figures
    )
    assert "Risky deals" in text and "Rep performance" in text


def test_rep_view(browser: Browser, pages_service: PagesService, screenshot_dir: Path) -> None:
    rep = pages_service.people.rep
    built = pages_service.built
    priorities = built.query(
        f"select lead_priority, count(*) from marts.lead_scores where owner_user_id = '{rep}'"
        " group by 1"
    )
    riskiest = built.scalar(
        "select max(risk.risk_score) from marts.opportunity_pipeline as deal"
        " join marts.deal_risk_scores as risk on risk.opportunity_id = deal.opportunity_id"
        f" where deal.owner_user_id = '{rep}'"
    )
    _sign_in(browser, pages_service, "rep")
    figures = [f"{priority}\t{num(count)}" for priority, count in priorities]
    text = _check_page(
        browser,
        pages_service,
        screenshot_dir,
        "rep_view",
        f"/pages/reps/{rep}",
        [*figures, num(riskiest, 1)],
    )
    assert "My risky deals" in text


def test_alerts_inbox(browser: Browser, pages_service: PagesService, screenshot_dir: Path) -> None:
    manager = pages_service.people.manager
    team = pages_service.app.state.scopes.scope(Caller("t", "manager", manager)).owner_ids
    listed = ", ".join(f"'{user}'" for user in sorted(team))
    open_alerts = pages_service.built.scalar(
        "select count(*) from marts.alert_status where is_open and (owner_user_id is null"
        f" or owner_user_id in ({listed}) or assigned_to in ({listed}))"
    )
    _sign_in(browser, pages_service, "manager")
    text = _check_page(browser, pages_service, screenshot_dir, "alerts_inbox", "/pages/alerts", [])
    shown = browser.evaluate("document.getElementById('open-alert-count').textContent")
    assert shown == num(open_alerts)
    assert "Filter open alerts" in text


def test_tables_read_without_javascript(browser: Browser, pages_service: PagesService) -> None:
    index = pages_service.built.scalar(
        "select pipeline_health_index from marts.pipeline_health"
        " where segment = 'all' order by as_of_date desc limit 1"
    )
    _sign_in(browser, pages_service, "admin")
    browser.call("Emulation.setScriptExecutionDisabled", {"value": True})
    try:
        browser.open(f"{pages_service.base_url}/pages/cro", charts=False)
        html = browser.html()
        assert 'data-drawn="true"' not in html  # no chart drawn: scripts were off
        assert num(index, 1) in html and "Latest index by segment" in html
        assert 'id="forecast-months"' in html and "KPI anomalies" in html
    finally:
        browser.call("Emulation.setScriptExecutionDisabled", {"value": False})
