"""The API over real HTTP on the built warehouses (a copy of the DuckDB one; the PostgreSQL
one read through the read-only role): data on every route, each role's scope, and the error
codes 401, 403, 404, 409, 422 and 304 (429 and 503: test_api_resilience.py)."""

from __future__ import annotations

import pytest

from tests.service.conftest import Served, first_customer

pytestmark = pytest.mark.slow


LIST_ROUTES = ["/accounts/at-risk", "/leads", "/deals/at-risk?min_risk=0", "/alerts"]


def owners_of(items: list[dict]) -> set[str]:
    found = set()
    for item in items:
        owner = item.get("owner_user_id") or (item.get("owner") or {}).get("user_id")
        found.add(owner)
    return found


def test_an_admin_reads_every_route_with_data(api: Served) -> None:
    customer = first_customer(api)
    for path in [
        f"/customers/{customer}/profile",
        "/accounts/at-risk",
        "/leads",
        "/deals/at-risk?min_risk=0",
        "/pipeline",
        f"/reps/{api.users['rep']}",
        "/alerts",
    ]:
        answer = api.get("admin", path)
        assert answer.status_code == 200, (path, answer.text)
        body = answer.json()
        assert (
            body.get("items") or body.get("segments") or body.get("quarters") or body.get("churn")
        ), path
    account = api.get("admin", "/accounts/at-risk").json()["items"][0]["account_id"]
    detail = api.get("admin", f"/accounts/{account}").json()
    assert detail["health"]["score"] is not None
    assert set(detail["health"]["components"]) == {
        "usage",
        "engagement",
        "support",
        "financial",
        "relationship",
    }
    assert "trend_pct" in detail["usage"] and detail["owner"]["user_id"]


def test_the_profile_carries_scores_interval_factors_journey_and_identity(api: Served) -> None:
    customer = first_customer(api)
    profile = api.get("cro", f"/customers/{customer}/profile").json()
    churn = profile["churn"]
    assert 0 <= churn["lower"] <= churn["probability"] <= churn["upper"] <= 1
    assert churn["band"] in {"low", "medium", "high", "critical"}
    assert profile["predicted_revenue"]["predicted"] is not None
    assert profile["segment"] and profile["journey_stage"]
    assert profile["next_best_action"]["action"]
    assert profile["top_factors"] and profile["top_factors"][0]["name"]
    assert profile["identity"]["profile_key"] and profile["identity"]["records"] >= 1
    assert len(profile["features"]) > 10  # the online features


def test_etag_and_if_none_match_give_304(api: Served) -> None:
    path = f"/customers/{first_customer(api)}/profile"
    first = api.get("admin", path)
    etag = first.headers["etag"]
    again = api.get("admin", path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    other = api.get("admin", path, headers={"If-None-Match": '"stale"'})
    assert other.status_code == 200 and other.headers["etag"] == etag


def test_unknown_ids_are_404_with_one_line(api: Served) -> None:
    for path in ["/customers/999999999/profile", "/accounts/ACC_NOPE", "/reps/USR_NOPE"]:
        who = "admin"
        answer = api.get(who, path)
        assert answer.status_code == 404, path
        assert "\n" not in answer.json()["detail"] and answer.json()["detail"]


def test_no_key_or_a_wrong_key_is_401(api: Served) -> None:
    assert api.get("nobody", "/leads").status_code == 401
    wrong = api.client("nobody").get("/leads", headers={"X-API-Key": "ciw_abc_def"})
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
    forged = api.keys["rep"][:-2] + "zz"
    assert api.client("nobody").get("/leads", headers={"X-API-Key": forged}).status_code == 401
    good = api.client("nobody").get("/leads", headers={"X-API-Key": api.keys["rep"]})
    assert good.status_code == 200


def test_a_rep_sees_only_their_own_book(api: Served) -> None:
    rep = api.users["rep"]
    for path in LIST_ROUTES:
        items = api.get("rep", f"{path}{'&' if '?' in path else '?'}limit=500").json()["items"]
        assert owners_of(items) <= {rep}, path
    leads = api.get("rep", "/leads?limit=500").json()["items"]
    assert leads, "the rep owns leads in the built warehouse"
    assert api.get("rep", f"/reps/{rep}").status_code == 200
    assert api.get("rep", f"/reps/{api.users['teammate']}").status_code == 403
    assert api.get("rep", "/pipeline").status_code == 403
    customer = first_customer(api)
    assert api.get("rep", f"/customers/{customer}/profile").status_code == 403
    other_account = next(
        item["account_id"]
        for item in api.get("admin", "/accounts/at-risk?limit=500").json()["items"]
        if rep not in (item["owner"]["user_id"], item["csm"]["user_id"])
    )
    assert api.get("rep", f"/accounts/{other_account}").status_code == 403


def test_a_manager_sees_their_team_and_nobody_else(api: Served) -> None:
    users = api.users
    team = {users["manager"], *users["team"].split(",")}
    leads = api.get("manager", "/leads?limit=500").json()["items"]
    owners = owners_of(leads)
    assert {users["rep"], users["teammate"]} <= owners
    assert users["outsider"] not in owners
    assert api.get("manager", f"/reps/{users['teammate']}").status_code == 200
    assert api.get("manager", f"/reps/{users['outsider']}").status_code == 403
    assert api.get("manager", "/pipeline").status_code == 200
    alerts = api.get("manager", "/alerts?limit=500").json()["items"]
    assert owners_of(alerts) - {None} <= team
    assert owners_of(leads) <= team
    assert any(item["owner_user_id"] is None for item in alerts)  # owner-less ones too


def test_the_cro_sees_every_owner(api: Served) -> None:
    everything = api.get("cro", "/leads?limit=500").json()["items"]
    assert {api.users["rep"], api.users["outsider"]} <= owners_of(everything)
    admin = api.get("admin", "/leads?limit=500").json()["items"]
    assert len(admin) == len(everything)


def test_pages_follow_limit_and_offset(api: Served) -> None:
    first = api.get("cro", "/leads?limit=5").json()
    second = api.get("cro", f"/leads?limit=5&offset={first['next_offset']}").json()
    assert len(first["items"]) == 5 and first["next_offset"] == 5
    assert not {i["lead_id"] for i in first["items"]} & {i["lead_id"] for i in second["items"]}
    everything = api.get("cro", "/leads?limit=500").json()
    assert everything["next_offset"] is None


@pytest.mark.parametrize(
    ("path", "fragment"),
    [
        ("/leads?priority=urgent", "priority"),
        ("/leads?limit=0", "limit"),
        ("/leads?limit=501", "at most 500"),
        ("/leads?offset=-1", "offset"),
        ("/customers/abc/profile", "customer_id"),
        ("/deals/at-risk?min_risk=101", "min_risk"),
        ("/alerts?status=closed", "status"),
        ("/accounts/at-risk?band=purple", "band"),
        ("/pipeline?periods=0", "periods"),
    ],
)
def test_bad_parameters_are_422_naming_the_parameter(api: Served, path: str, fragment: str) -> None:
    answer = api.get("admin", path)
    assert answer.status_code == 422, answer.text
    assert fragment in answer.json()["detail"]


def test_metrics_have_latency_per_route_and_marts_freshness(api: Served) -> None:
    api.get("admin", "/leads")
    api.get("admin", "/accounts/NOPE")
    text = api.client("nobody").get("/metrics").text
    assert 'ciw_api_request_duration_seconds_bucket{le="0.01",method="GET",route="/leads"}' in text
    assert 'route="/accounts/{account_id}",status="404"' in text
    age = next(line for line in text.splitlines() if line.startswith("ciw_marts_age_seconds"))
    assert float(age.split()[-1]) >= 0
    assert "/customers/1" not in text  # templates, never the ids callers sent


def test_health_and_readiness(api: Served) -> None:
    assert api.client("nobody").get("/healthz").json() == {"status": "ok"}
    ready = api.client("nobody").get("/readyz")
    assert ready.status_code == 200 and ready.json()["ready"] is True
    assert api.client("nobody").get("/docs").status_code == 200
    assert (
        "/customers/{customer_id}/profile"
        in api.client("nobody").get("/openapi.json").json()["paths"]
    )


@pytest.mark.postgres
def test_postgres_marts_are_read_as_the_read_only_role(postgres_api: Served) -> None:
    reader = postgres_api.app.state.reader
    assert reader.rows("select current_user as who")[0]["who"] == "ciw_bi_reader"
    from psycopg import errors

    with pytest.raises((errors.ReadOnlySqlTransaction, errors.InsufficientPrivilege)):
        reader.rows("create table marts.service_scratch (id integer)")


def test_patch_moves_an_alert_through_the_lifecycle_changes_warehouse(api: Served) -> None:
    rep = api.users["rep"]
    mine = api.get("rep", "/alerts?status=open").json()["items"]
    assert mine, "the rep has open alerts in the built warehouse"
    alert_id = mine[0]["alert_id"]
    changed = api.patch("rep", f"/alerts/{alert_id}", json={"status": "acknowledged"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["status"] == "acknowledged" and changed.json()["updated_by"] == rep
    listed = api.get("rep", "/alerts?status=acknowledged").json()
    assert alert_id in {item["alert_id"] for item in listed["items"]}
    assert listed["source"] == "warehouse"
    back = api.patch("rep", f"/alerts/{alert_id}", json={"status": "open"})
    assert back.status_code == 409
    outsider = api.patch("outsider", f"/alerts/{alert_id}", json={"status": "resolved"})
    assert outsider.status_code == 403
    assert api.patch("admin", "/alerts/nope", json={"status": "resolved"}).status_code == 404
    assert api.patch("admin", f"/alerts/{alert_id}", json={}).status_code == 422
    assert api.patch("admin", f"/alerts/{alert_id}", json={"status": "closed"}).status_code == 422
