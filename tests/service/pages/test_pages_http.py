"""The pages over real HTTP (uvicorn on loopback) on the built DuckDB warehouse: signing in and
out, bad keys, forged and expired cookies, CSRF, every role's scope, the figures each page shows
against the warehouse itself."""

from __future__ import annotations

import re
import time
from dataclasses import replace

from service.pages.session import LOGIN_CSRF_COOKIE, SESSION_COOKIE, SessionSigner
from tests.service.pages.conftest import PagesService, login

PAGES = ("/pages/health", "/pages/cro", "/pages/manager", "/pages/alerts")


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_pages_without_a_session_redirect_to_the_sign_in_form(
    pages_service: PagesService,
) -> None:
    with pages_service.client() as client:
        for path in (*PAGES, f"/pages/reps/{pages_service.people.rep}", "/pages/"):
            answer = client.get(path)
            assert answer.status_code == 303, path
            assert answer.headers["location"].startswith("/pages/login?next=/pages/")
        form = client.get("/pages/login")
        assert form.status_code == 200
        assert 'name="api_key"' in form.text and 'type="password"' in form.text
        assert form.cookies.get(LOGIN_CSRF_COOKIE)
        assert "default-src 'self'" in form.headers["content-security-policy"]


def test_a_good_key_signs_in_with_a_strict_httponly_expiring_cookie(
    pages_service: PagesService,
) -> None:
    with pages_service.client() as client:
        answer = login(client, pages_service.keys["rep"])
        assert answer.status_code == 303
        assert answer.headers["location"] == f"/pages/reps/{pages_service.people.rep}"
        cookie = next(
            value
            for value in answer.headers.get_list("set-cookie")
            if value.startswith(f"{SESSION_COOKIE}=")
        )
        flags = cookie.lower()
        assert "httponly" in flags and "samesite=strict" in flags and "max-age=" in flags
        assert pages_service.keys["rep"] not in cookie
        assert client.get(f"/pages/reps/{pages_service.people.rep}").status_code == 200


def test_a_bad_key_is_refused_without_a_session(pages_service: PagesService) -> None:
    with pages_service.client() as client:
        key = pages_service.keys["rep"]
        for wrong in ("not-a-key", key[:-1] + ("B" if key.endswith("A") else "A")):
            answer = login(client, wrong)
            assert answer.status_code == 401
            assert "unknown or revoked" in answer.text
            assert SESSION_COOKIE not in answer.cookies
        assert client.get("/pages/health").status_code == 303


def test_sign_in_needs_the_form_token(pages_service: PagesService) -> None:
    with pages_service.client() as client:
        client.get("/pages/login")
        answer = client.post(
            "/pages/login", data={"api_key": pages_service.keys["admin"], "csrf_token": "guess"}
        )
        assert answer.status_code == 403
        assert SESSION_COOKIE not in answer.cookies
        answer = client.post("/pages/login", json={"api_key": pages_service.keys["admin"]})
        assert answer.status_code == 400


def test_the_next_page_after_sign_in_stays_on_this_site(pages_service: PagesService) -> None:
    with pages_service.client() as client:
        answer = login(client, pages_service.keys["admin"], target="/pages/alerts")
        assert answer.headers["location"] == "/pages/alerts"
    with pages_service.client() as client:
        answer = login(client, pages_service.keys["admin"], target="//evil.example/pages/")
        assert answer.headers["location"] == "/pages/cro"


def test_forged_and_expired_cookies_send_the_browser_to_sign_in(
    pages_service: PagesService,
) -> None:
    signer: SessionSigner = pages_service.app.state.page_sessions
    key_id = pages_service.keys["rep"].split("_")[1]
    _, expired = signer.issue(key_id, "rep", pages_service.people.rep, now=0.0)
    _, other_secret = SessionSigner(b"z" * 32, 3600).issue(key_id, "admin", "ADMIN")
    with pages_service.signed_in("rep") as client:
        good = client.cookies[SESSION_COOKIE]
    body, mac = good.split(".")
    for cookie in (expired, other_secret, f"{body}x.{mac}", "garbage"):
        with pages_service.client() as client:
            client.cookies.set(SESSION_COOKIE, cookie)
            answer = client.get("/pages/health")
            assert answer.status_code == 303
            assert answer.headers["location"].startswith("/pages/login")


def test_sign_out_needs_its_token_and_ends_the_session(pages_service: PagesService) -> None:
    with pages_service.signed_in("manager") as client:
        page = client.get("/pages/health")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token
        assert client.post("/pages/logout", data={"csrf_token": "wrong"}).status_code == 403
        assert client.get("/pages/health").status_code == 200
        copy = client.cookies[SESSION_COOKIE]
        answer = client.post("/pages/logout", data={"csrf_token": token.group(1)})
        assert answer.status_code == 303 and answer.headers["location"] == "/pages/login"
        assert client.get("/pages/health").status_code == 303
    with pages_service.client() as thief:
        thief.cookies.set(SESSION_COOKIE, copy)  # a copy of the signed-out cookie
        assert thief.get("/pages/health").status_code == 303


def test_a_rep_sees_only_their_own_book(pages_service: PagesService) -> None:
    people = pages_service.people
    with pages_service.signed_in("rep") as client:
        assert client.get(f"/pages/reps/{people.rep}").status_code == 200
        other = client.get(f"/pages/reps/{people.outside_rep}")
        assert other.status_code == 403 and "outside your scope" in other.text
        assert client.get(f"/pages/reps/{people.manager}").status_code == 403
        assert client.get("/pages/cro").status_code == 403
        assert client.get("/pages/manager").status_code == 403
        assert client.get(f"/pages/manager?manager={people.manager}").status_code == 403
        page = client.get("/pages/health").text
    health = _text(page[page.index('id="accounts-by-health"') :].split("</table>")[0])
    owned = pages_service.built.query(
        "select health_status, count(*) from marts.account_health"
        f" where owner_user_id = '{people.rep}' or csm_user_id = '{people.rep}' group by 1"
    )
    total = pages_service.built.scalar("select count(*) from marts.account_health")
    for status, count in owned:
        assert re.search(rf"{status.replace('_', ' ')} {count}\b", health), (status, count)
    assert sum(count for _, count in owned) < total  # a book, not the company
    assert "Shop customers have no CRM owner" in page


def test_a_manager_sees_their_team_and_nothing_else(pages_service: PagesService) -> None:
    people = pages_service.people
    with pages_service.signed_in("manager") as client:
        team = client.get("/pages/manager")
        assert team.status_code == 200
        assert client.get(f"/pages/reps/{people.rep}").status_code == 200
        assert client.get(f"/pages/reps/{people.outside_rep}").status_code == 403
        assert client.get("/pages/cro").status_code == 403
    reps = pages_service.built.query(
        f"select owner_user_id from marts.rep_deal_risk where manager_user_id = '{people.manager}'"
    )
    assert reps
    for (rep,) in reps:
        assert f'href="/pages/reps/{rep}"' in team.text
    assert f'href="/pages/reps/{people.outside_rep}"' not in team.text


def test_leadership_sees_every_page(pages_service: PagesService) -> None:
    people = pages_service.people
    for role in ("cro", "admin"):
        with pages_service.signed_in(role) as client:
            for path in (
                *PAGES,
                f"/pages/manager?manager={people.manager}",
                f"/pages/reps/{people.rep}",
                f"/pages/reps/{people.outside_rep}",
            ):
                assert client.get(path).status_code == 200, (role, path)


def test_bad_page_input_is_a_clear_4xx(pages_service: PagesService) -> None:
    with pages_service.signed_in("admin") as client:
        assert client.get("/pages/reps/NOBODY").status_code == 404
        assert client.get("/pages/reps/bad%20id%3Cscript%3E").status_code == 400
        assert client.get("/pages/alerts?urgency=yesterday").status_code == 400
        assert client.get("/pages/alerts/nope").status_code == 404
        assert client.get("/pages/manager?manager=x'or'1").status_code == 400
        assert client.get("/pages/static/../../keys.py").status_code == 404
        assert client.get("/pages/static/plotly.min.js").status_code == 200


def test_the_alerts_inbox_counts_the_open_alerts_in_scope(pages_service: PagesService) -> None:
    rep = pages_service.people.rep
    open_alerts = pages_service.built.scalar(
        "select count(*) from marts.alert_status"
        f" where is_open and (owner_user_id = '{rep}' or assigned_to = '{rep}')"
    )
    everything = pages_service.built.scalar("select count(*) from marts.alert_status where is_open")
    with pages_service.signed_in("rep") as client:
        inbox = client.get("/pages/alerts")
    assert re.search(rf'id="open-alert-count">{open_alerts:,}<', inbox.text)
    with pages_service.signed_in("admin") as client:
        inbox = client.get("/pages/alerts")
        assert re.search(rf'id="open-alert-count">{everything:,}<', inbox.text)
        first = re.search(r'href="/pages/alerts/([0-9a-f]+)"', inbox.text)
        assert first
        detail = client.get(f"/pages/alerts/{first.group(1)}")
        assert detail.status_code == 200 and "Suggested actions" in detail.text
    owner = pages_service.built.query(
        "select alert_id from marts.alerts where owner_user_id is not null"
        f" and owner_user_id <> '{rep}' limit 1"
    )
    with pages_service.signed_in("rep") as client:
        assert client.get(f"/pages/alerts/{owner[0][0]}").status_code == 403


def test_a_revoked_key_ends_its_sessions(pages_service: PagesService) -> None:
    store = pages_service.app.state.keys
    key_id, raw = store.create("rep", pages_service.people.rep)
    with pages_service.client() as client:
        login(client, raw)
        assert client.get("/pages/health").status_code == 200
        assert store.revoke(key_id)
        assert client.get("/pages/health").status_code == 303


def test_failed_sign_ins_are_rate_limited(pages_service: PagesService) -> None:
    state = pages_service.app.state
    state.__dict__.get("_state", {}).pop("page_login_limiter", None)  # a full bucket
    with pages_service.client() as client:
        codes = [login(client, "ciw_wrong_key").status_code for _ in range(12)]
        assert codes[0] == 401 and codes[-1] == 429
        answer = login(client, "ciw_wrong_key")
        assert int(answer.headers["retry-after"]) >= 1
        assert login(client, pages_service.keys["cro"]).status_code == 303  # a real key still works
    state._state.pop("page_login_limiter")  # the other tests sign in from the same address


def test_a_banner_says_when_the_marts_are_stale(pages_service: PagesService) -> None:
    state = pages_service.app.state
    fresh_options = state.options
    with pages_service.signed_in("rep") as client:
        assert 'id="stale-banner"' not in client.get("/pages/health").text  # just built
        state.options = replace(fresh_options, stale_after_hours=1 / 3600)  # one second
        try:
            time.sleep(1.1)
            page = client.get("/pages/health").text
        finally:
            state.options = fresh_options
    assert 'id="stale-banner"' in page and "hours ago" in page
