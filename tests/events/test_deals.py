"""A CRM opportunity update scored by the deal-risk champion as it arrives: the score is the
registry champion's, pushed to the online store with the deal's streamed features; a deal the
batch already alerted on raises nothing new, one it had not alerts its owner, manager copied."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import httpx

from events.rules import alert_id, next_batch_day
from ml.registry import ModelRegistry
from tests.events.client import post_event
from tests.events.conftest import Live
from tests.events.test_worker import query


def jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def opportunity_row(live: Live, opportunity: str) -> dict[str, Any]:
    with_names = query(
        live,
        "select opportunity_id, account_id, owner_user_id, opportunity_name, opportunity_type, "
        "lead_source, stage, amount, probability, competitor, created_at, close_date "
        "from raw_crm.opportunities where opportunity_id = %s order by _loaded_at desc limit 1",
        (opportunity,),
    )[0]
    names = [
        "opportunity_id", "account_id", "owner_user_id", "opportunity_name", "opportunity_type",
        "lead_source", "stage", "amount", "probability", "competitor", "created_at", "close_date",
    ]  # fmt: skip
    return {name: jsonable(value) for name, value in zip(names, with_names, strict=True)}


def test_a_deal_update_is_scored_by_the_champion_and_alerts_only_when_it_crosses(
    live: Live,
) -> None:
    opportunity, batch_risk = query(
        live,
        "select scores.opportunity_id, scores.risk_score from marts.deal_risk_scores as scores "
        "inner join marts.opportunity_pipeline as open_deals "
        "on scores.opportunity_id = open_deals.opportunity_id "
        "order by scores.risk_score desc limit 1",
    )[0]
    assert float(batch_risk) > 75, "the built warehouse has no high-risk open deal"
    data = {**opportunity_row(live, opportunity), "updated_at": jsonable(live.clock.now)}
    with httpx.Client() as client:
        assert post_event(client, live.url, "crm_opportunity", "deal-1", data).status_code == 202
    first = live.worker.step()
    assert first.processed == 1 and first.alerts == []  # the batch alerted this deal already
    champion = ModelRegistry(live.settings).champion("deal_risk")
    assert champion is not None
    scores = query(
        live,
        "select model_name, model_version, entity_id, score from ops.event_scores "
        "where event_id = 'deal-1'",
    )
    assert [row[:3] for row in scores] == [("deal_risk", champion.version, opportunity)]
    risk = round(float(scores[0][3]) * 100, 1)
    online = live.worker.context.features.read("opportunity", opportunity)  # type: ignore[union-attr]
    assert online["live_risk_score"] == risk
    assert online["amount"] == float(data["amount"])

    # a deal the batch has not scored (new since the last run): the event alerts it
    with live.service.inbox.session() as session:
        session.execute(
            "delete from marts.deal_risk_scores where opportunity_id = %s", (opportunity,)
        )
    with httpx.Client() as client:
        assert post_event(client, live.url, "crm_opportunity", "deal-2", data).status_code == 202
    second = live.worker.step()
    expected = alert_id(
        "high_risk_deal", "opportunity", opportunity, next_batch_day(live.clock.now).isoformat()
    )
    assert [alert.alert_id for alert in second.alerts] == [expected]
    owner_slack, manager_slack = query(
        live,
        "select owner.slack_user_id, manager.slack_user_id from staging.stg_crm__users as owner "
        "left join staging.stg_crm__users as manager on owner.manager_user_id = manager.user_id "
        "where owner.user_id = %s",
        (data["owner_user_id"],),
    )[0]
    alert = second.alerts[0]
    assert alert.recipient == (owner_slack or "#customer-success")
    assert alert.severity == ("critical" if risk >= 90 else "high")
    channels = sorted(str(m["channel"]) for m in live.alert_messages(expected))
    assert len(channels) == len(alert.destinations) >= 1
    if manager_slack and manager_slack != owner_slack:
        assert alert.cc_recipient == manager_slack
