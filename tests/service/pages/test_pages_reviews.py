"""The manager view's deal review queue: pending deal scores with approve and override forms
(CSRF), a decision recorded through ``notifier.review.decide_in`` and shown back, the override
rate; over real HTTP on both warehouses, and in headless Chromium driven by the keyboard.

Review rows are added to the queue as dbt writes them (ids ``test...``) for the manager's rep and
a rep outside the team. The DuckDB warehouse is a private copy; on PostgreSQL the session's
built warehouse gets the rows and loses them (and their decisions) again after the module.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.built import BuiltWarehouse
from tests.service.conftest import ON_BUILT_WAREHOUSES
from tests.service.pages.browser import Browser, chromium_path
from tests.service.pages.conftest import PagesService, _service
from tests.service.pages.test_pages_browser import _save
from tests.service.review_rows import queued_reviews

pytestmark = pytest.mark.slow


def _copy(built: BuiltWarehouse, root: Path) -> BuiltWarehouse:
    source = built.settings
    shutil.copy2(source.duckdb_path, root / "warehouse.duckdb")
    shutil.copytree(source.artifacts_dir, root / "artifacts", symlinks=True)
    settings = replace(
        source, duckdb_path=root / "warehouse.duckdb", artifacts_root=root / "artifacts"
    )
    return replace(built, settings=settings)


@pytest.fixture(scope="module", params=ON_BUILT_WAREHOUSES)
def queue(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[PagesService, list[str]]]:
    """The pages on a warehouse with three test reviews for the manager's rep and one for a
    rep outside the team (the last id)."""
    built: BuiltWarehouse = request.getfixturevalue(f"built_{request.param}")
    if request.param == "duckdb":
        built = _copy(built, tmp_path_factory.mktemp("pages_reviews"))
    for service in _service(built, tmp_path_factory):
        owners = {service.people.rep: 3, service.people.outside_rep: 1}
        with queued_reviews(built.settings, owners) as added:
            yield service, added


def _csrf(html: str) -> str:
    found = re.search(
        r'action="/pages/reviews/[^"]+">\s*<input type="hidden" name="csrf_token"'
        r' value="([^"]+)"',
        html,
    )
    assert found, "no review form on the page"
    return found.group(1)


def test_the_queue_is_listed_with_forms_and_refuses_forged_posts(
    queue: tuple[PagesService, list[str]],
) -> None:
    service, added = queue
    ours, outside = added[:3], added[3]
    with service.signed_in("manager") as client:
        page = client.get("/pages/manager")
        assert page.status_code == 200
        for review in ours:
            assert f'action="/pages/reviews/{review}"' in page.text
        assert outside not in page.text
        assert 'id="review-queue"' in page.text and 'id="override-rate"' in page.text
        token = _csrf(page.text)
        forged = client.post(
            f"/pages/reviews/{ours[0]}", data={"decision": "approve", "csrf_token": "x" + token}
        )
        assert forged.status_code == 403
        missing = client.post(f"/pages/reviews/{ours[0]}", data={"decision": "approve"})
        assert missing.status_code == 403
        no_reason = client.post(
            f"/pages/reviews/{ours[0]}",
            data={"decision": "override", "score": "40", "note": " ", "csrf_token": token},
        )
        assert no_reason.status_code == 422 and "reason" in no_reason.text
        bad_score = client.post(
            f"/pages/reviews/{ours[0]}",
            data={"decision": "override", "score": "lots", "note": "x", "csrf_token": token},
        )
        assert bad_score.status_code == 422
        foreign = client.post(
            f"/pages/reviews/{outside}", data={"decision": "approve", "csrf_token": token}
        )
        assert foreign.status_code == 403 and "outside your team" in foreign.text
        unknown = client.post(
            "/pages/reviews/nosuch", data={"decision": "approve", "csrf_token": token}
        )
        assert unknown.status_code == 404
    with service.signed_in("rep") as client:
        refused = client.post(f"/pages/reviews/{ours[0]}", data={"decision": "approve"})
        assert refused.status_code == 403
    with httpx.Client(base_url=service.base_url, follow_redirects=False) as anonymous:
        assert anonymous.post(f"/pages/reviews/{ours[0]}").status_code == 303  # to sign-in


def test_approving_records_the_decision_and_says_so_then_409(
    queue: tuple[PagesService, list[str]],
) -> None:
    service, added = queue
    review = added[0]
    with service.signed_in("manager") as client:
        token = _csrf(client.get("/pages/manager").text)
        approved = client.post(
            f"/pages/reviews/{review}",
            data={"decision": "approve", "csrf_token": token, "manager": service.people.manager},
        )
        assert approved.status_code == 303
        assert approved.headers["location"] == f"/pages/manager?reviewed={review}#reviews"
        shown = client.get(approved.headers["location"].split("#")[0])
        assert "Recorded: review " + review in shown.text
        assert f'action="/pages/reviews/{review}"' not in shown.text  # no longer pending
        again = client.post(
            f"/pages/reviews/{review}", data={"decision": "approve", "csrf_token": token}
        )
        assert again.status_code == 409 and "already approved" in again.text
    decided = service.built.query(
        f"select decision, reviewed_by from ops.deal_score_reviews where review_id = '{review}'"
    )
    assert decided == [("approved", service.people.manager)]


def _press(browser: Browser, key: str, text: str | None = None) -> None:
    codes = {"Tab": 9, "Enter": 13}
    for kind in ("keyDown", "keyUp"):
        event: dict[str, Any] = {"type": kind, "key": key, "code": key}
        if key in codes:
            event["windowsVirtualKeyCode"] = codes[key]
        if key == "Enter":
            text = "\r"  # a keypress with text is what submits a form implicitly
        if text and kind == "keyDown":
            event["text"] = text
        browser.call("Input.dispatchKeyEvent", event)


def test_a_manager_overrides_with_the_keyboard_in_chromium(
    queue: tuple[PagesService, list[str]], screenshot_dir: Path, tmp_path: Path
) -> None:
    service, added = queue
    if service.built.settings.target != "duckdb":
        pytest.skip("the browser check runs once, on DuckDB")
    review = added[1]
    chromium_path()
    browser = Browser(tmp_path / "chromium_profile")
    try:
        browser.open(f"{service.base_url}/pages/login")
        key = json.dumps(service.keys["manager"])
        browser.submit(
            f"document.getElementById('api_key').value = {key};"
            " document.querySelector('form.login').submit()"
        )
        browser.open(f"{service.base_url}/pages/manager")
        assert browser.errors() == []
        text = browser.text()
        assert "Deal scores waiting for your review" in text and "Override rate" in text
        browser.evaluate("document.getElementById('reviews').scrollIntoView()")
        _save(browser.screenshot(screenshot_dir / "manager_reviews.png"))
        browser.call("Page.bringToFront")
        browser.call("Emulation.setFocusEmulationEnabled", {"enabled": True})
        browser.evaluate(f"document.getElementById('score-{review}').focus()")
        for digit in "30":
            _press(browser, digit, digit)
        _press(browser, "Tab")
        assert browser.evaluate("document.activeElement.id") == f"note-{review}"
        for letter in "lost champion":
            _press(browser, letter, letter)
        before = browser.url()
        _press(browser, "Enter")  # submits the override form
        browser.wait_for(f"location.href !== {json.dumps(before)}")
        browser.wait_for("document.getElementById('review-recorded') !== null")
        notice = browser.evaluate("document.getElementById('review-recorded').textContent")
        assert "overridden (30/100" in notice and "withheld" in notice
        assert browser.errors() == []
    finally:
        browser.close()
    stored = service.built.query(
        f"select decision, reviewed_score, note from ops.deal_score_reviews"
        f" where review_id = '{review}'"
    )
    assert stored == [("overridden", 30.0, "lost champion")]
