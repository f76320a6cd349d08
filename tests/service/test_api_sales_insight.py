"""The sales parts of the design over real HTTP on both built warehouses: the pipeline forecast,
the KPI anomalies and the deal review queue (list, summary, approve and override through
``notifier.review.decide_in``), every role's scope and every error code.

The review tests add their own rows to the queue as dbt writes them (ids ``test...``) and
decide only those; the rows and their decisions are removed after the module. The DuckDB
warehouse is the module's copy; the PostgreSQL one is the session's built warehouse (its tests
run one after another on one worker), left as it was found.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pytest

from tests.service.conftest import Served
from tests.service.review_rows import queued_reviews

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def queued(api: Served) -> Iterator[set[str]]:
    """Three review rows for the manager's rep, one for a rep outside the team."""
    owners = {api.users["rep"]: 3, api.users["outsider"]: 1}
    with queued_reviews(api.settings, owners) as added:
        yield set(added)


def query(served: Served, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    from warehouse import adapter_for

    with adapter_for(served.settings).session() as session:
        return session.execute(sql, params)


# -- the forecast ------------------------------------------------------------------------------


def test_the_forecast_answers_the_marts_months_with_their_interval(api: Served) -> None:
    expected = query(
        api,
        "select forecast_month, expected_won_amount from marts.pipeline_forecast"
        " where segment = 'all' and as_of_date = (select max(as_of_date)"
        " from marts.pipeline_forecast) order by forecast_month",
    )
    assert expected, "the built warehouse has no forecast rows"
    for who in ("admin", "cro", "manager"):
        answer = api.get(who, "/pipeline/forecast")
        assert answer.status_code == 200, answer.text
    body = api.get("cro", "/pipeline/forecast?segment=all").json()
    months = body["months"]
    assert [row["forecast_month"] for row in months] == [month.isoformat() for month, _ in expected]
    for row, (_, amount) in zip(months, expected, strict=True):
        assert math.isclose(row["expected_won_amount"], float(amount), rel_tol=1e-9)
        assert row["lower_won_amount"] <= row["expected_won_amount"] <= row["upper_won_amount"]
    segments = {row["segment"] for row in api.get("cro", "/pipeline/forecast").json()["months"]}
    assert "all" in segments and len(segments) > 1


def test_the_forecast_refuses_reps_bad_segments_and_no_key(api: Served) -> None:
    refused = api.get("rep", "/pipeline/forecast")
    assert refused.status_code == 403 and "whole company" in refused.json()["detail"]
    bad = api.get("cro", "/pipeline/forecast?segment=galactic")
    assert bad.status_code == 422 and bad.json()["detail"].startswith("query.segment")
    assert api.get("nobody", "/pipeline/forecast").status_code == 401


# -- the KPI anomalies -------------------------------------------------------------------------


def test_the_anomalies_list_every_row_of_the_mart_newest_first(api: Served) -> None:
    count = query(api, "select count(*) from marts.kpi_anomalies")[0][0]
    body = api.get("manager", "/kpis/anomalies?limit=500").json()
    assert len(body["items"]) == min(count, 500)
    assert body["latest_kpi_date"] is not None
    days = [item["kpi_date"] for item in body["items"]]
    assert days == sorted(days, reverse=True)
    if body["items"]:
        first = body["items"][0]
        assert first["direction"] in {"spike", "drop"} and abs(first["robust_z"]) > 0
        only = api.get("cro", f"/kpis/anomalies?kpi={first['kpi_name']}&limit=500").json()
        assert only["items"] and {item["kpi_name"] for item in only["items"]} == {first["kpi_name"]}


def test_the_anomalies_refuse_reps_and_unknown_kpis(api: Served) -> None:
    assert api.get("rep", "/kpis/anomalies").status_code == 403
    bad = api.get("cro", "/kpis/anomalies?kpi=vibes")
    assert bad.status_code == 422 and bad.json()["detail"].startswith("query.kpi")
    assert api.get("cro", "/kpis/anomalies?direction=sideways").status_code == 422
    assert api.get("cro", "/kpis/anomalies?limit=0").status_code == 422


# -- the review queue --------------------------------------------------------------------------


def _pending(served: Served, who: str) -> list[dict[str, Any]]:
    answer = served.get(who, "/reviews?limit=500")
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def _ours(served: Served, who: str, queued: set[str]) -> list[dict[str, Any]]:
    return [item for item in _pending(served, who) if item["review_id"] in queued]


def test_a_manager_lists_their_teams_reviews_and_leadership_all(
    api: Served, queued: set[str]
) -> None:
    team = set(api.users["team"].split(","))
    mine = _pending(api, "manager")
    assert {item["owner_user_id"] for item in mine} <= team
    assert len([item for item in mine if item["review_id"] in queued]) == 3
    everything = _pending(api, "cro")
    pending = query(
        api, "select count(*) from marts.deal_review_queue where review_status = 'pending'"
    )[0][0]
    assert len(everything) == pending  # nothing decided yet: every pending row of the queue
    assert queued <= {item["review_id"] for item in everything}
    assert all(item["status"] == "pending" for item in everything)
    assert api.get("admin", "/reviews?limit=500").json()["pending"] == pending
    refused = api.get("rep", "/reviews")
    assert refused.status_code == 403 and "managers" in refused.json()["detail"]
    assert api.get("cro", "/reviews?status=maybe").status_code == 422
    assert api.get("nobody", "/reviews").status_code == 401


def test_decisions_validate_their_input(api: Served, queued: set[str]) -> None:
    review = _ours(api, "manager", queued)[0]["review_id"]
    path = f"/reviews/{review}"
    client = api.client("manager")
    cases = [
        ({"decision": "override", "score": 40}, "note"),
        ({"decision": "override", "score": 40, "note": "   "}, "note"),
        ({"decision": "override", "note": "met the buyer"}, "score"),
        ({"decision": "override", "score": 101, "note": "x"}, "score"),
        ({"decision": "approve", "score": 50}, "score"),
        ({"decision": "shrug"}, "decision"),
        ({"decision": "approve", "extra": 1}, "extra"),
    ]
    for body, named in cases:
        answer = client.post(path, json=body)
        assert answer.status_code == 422, (body, answer.text)
        assert named in answer.json()["detail"], (body, answer.json())
    not_json = client.post(path, content=b"not json")
    assert not_json.status_code == 422 and not_json.json()["detail"].startswith("body:")
    unknown = client.post("/reviews/nosuchreview", json={"decision": "approve"})
    assert unknown.status_code == 404 and "nosuchreview" in unknown.json()["detail"]
    assert client.post("/reviews/bad id!", json={"decision": "approve"}).status_code == 422
    rep = api.client("rep").post(path, json={"decision": "approve"})
    assert rep.status_code == 403
    assert review in {item["review_id"] for item in _pending(api, "manager")}  # still waiting


def test_deciding_changes_the_warehouse_approve_override_conflict_and_rate(
    api: Served, queued: set[str]
) -> None:
    client = api.client("manager")
    first, second, *_ = _ours(api, "manager", queued)
    approved = client.post(f"/reviews/{first['review_id']}", json={"decision": "approve"})
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert body["status"] == "approved" and body["reviewed_score"] == first["model_score"]
    assert body["reviewed_by"] == api.users["manager"] and body["releases_alert"]
    overridden = client.post(
        f"/reviews/{second['review_id']}",
        json={"decision": "override", "score": 35, "note": "  champion signed the order form "},
    )
    assert overridden.status_code == 200, overridden.text
    assert overridden.json()["releases_alert"] is False  # 35 no longer passes the threshold
    stored = query(
        api,
        "select review_id, decision, reviewed_score, note, reviewed_by"
        " from ops.deal_score_reviews order by review_id",
    )
    assert (
        second["review_id"],
        "overridden",
        35.0,
        "champion signed the order form",
        api.users["manager"],
    ) in [tuple(row) for row in stored]
    assert first["review_id"] in {row[0] for row in stored}
    again = client.post(f"/reviews/{first['review_id']}", json={"decision": "approve"})
    assert again.status_code == 409 and "already approved" in again.json()["detail"]
    left = {item["review_id"] for item in _pending(api, "manager")}
    assert not left & {first["review_id"], second["review_id"]}
    decided = api.get("manager", "/reviews?status=overridden").json()["items"]
    assert second["review_id"] in [item["review_id"] for item in decided]
    summary = api.get("manager", "/reviews/summary").json()
    assert summary["approved"] >= 1 and summary["overridden"] >= 1
    rate = summary["overridden"] / (summary["approved"] + summary["overridden"])
    assert math.isclose(summary["override_rate"], round(rate, 4))
    assert summary["weeks"] and summary["avg_override_change"] < 0
    listed = api.get("manager", "/reviews").json()
    assert listed["override_rate"] == summary["override_rate"]
    outsider = next(
        item
        for item in _pending(api, "cro")
        if item["owner_user_id"] == api.users["outsider"] and item["review_id"] in queued
    )
    foreign = client.post(f"/reviews/{outsider['review_id']}", json={"decision": "approve"})
    assert foreign.status_code == 403 and "outside your team" in foreign.json()["detail"]
