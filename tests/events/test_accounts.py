"""CRM account and product-usage events scored by the account-churn champion as they arrive:
the score is the registry champion's on the account's batch features (what the batch gave, for
an update that changes none of them); an account the batch already alerted at that band raises
nothing; one it had not alerts its owner as the batch routes it; the next batch computes the
same alert id and the notifier sends nothing twice."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from events.rules import alert_id, next_batch_day, risk_band
from ml.registry import ModelRegistry
from notifier.delivery import deliver_pending
from tests.events.client import post_event
from tests.events.conftest import Live
from tests.events.test_deals import jsonable
from tests.events.test_worker import query, stamp
from tests.notifier.conftest import bot_config

#: What the daily run rebuilds that the account churn alert reads.
BATCH_MODELS = "account_risk_scores int_as_of_dates path:models/intermediate/alerts alerts"

ACCOUNT_COLUMNS = (
    "account_id, account_name, industry, segment, region, employee_count, annual_revenue, "
    "owner_user_id, csm_user_id, created_at, updated_at"
)


def account_row(live: Live, account: str) -> dict[str, Any]:
    names = [name.strip() for name in ACCOUNT_COLUMNS.split(",")]
    row = query(
        live,
        f"select {ACCOUNT_COLUMNS} from raw_crm.accounts where account_id = %s "
        "order by _loaded_at desc limit 1",
        (account,),
    )[0]
    return {name: jsonable(value) for name, value in zip(names, row, strict=True)}


def riskiest_account(live: Live) -> tuple[str, float, str, str]:
    """The account the batch scored riskiest: id, probability, band, the model version."""
    account, probability, band, version, as_of = query(
        live,
        "select account_id, churn_probability, churn_risk_band, model_version, as_of_date "
        "from marts.account_risk_scores order by churn_probability desc limit 1",
    )[0]
    assert band in ("medium", "high", "critical"), "the built warehouse has no account at risk"
    # the run after the batch's: its alerts are a day after the batch's own alert of the
    # account, outside the repeat suppression (24 hours, exclusive)
    assert next_batch_day(live.clock.now) > as_of
    return str(account), float(probability), str(band), str(version)


def event_score(live: Live, event_id: str) -> tuple[str, str, str, float]:
    rows = query(
        live,
        "select model_name, model_version, entity_id, score from ops.event_scores "
        "where event_id = %s",
        (event_id,),
    )
    assert len(rows) == 1
    model, version, entity, score = rows[0]
    return str(model), str(version), str(entity), float(score)


def test_an_account_update_is_scored_by_the_champion_and_alerts_only_above_the_batch_band(
    live: Live, tmp_path: Path
) -> None:
    account, batch_probability, batch_band, batch_version = riskiest_account(live)
    now = live.clock.now
    data = {**account_row(live, account), "updated_at": stamp(now - timedelta(minutes=1))}
    with httpx.Client() as client:
        assert post_event(client, live.url, "crm_account", "acct-1", data).status_code == 202
    first = live.worker.step()
    assert first.processed == 1 and first.alerts == []  # the batch alerted this band already
    # the model the batch serves (the registry champion, else the rule) on the same features:
    # nothing the model reads changed, so it gives what the batch gave
    model, version, entity, score = event_score(live, "acct-1")
    assert (model, version, entity) == ("account_churn", batch_version, account)
    champion = ModelRegistry(live.settings).champion("account_churn")
    assert version == (champion.version if champion else "rule:account_health")
    assert score == pytest.approx(batch_probability, abs=1e-9)
    online = live.worker.context.features.read("account", account)  # type: ignore[union-attr]
    assert online["last_event_type"] == "crm_account"

    # the batch saw the account below this band (as if the risk rose since): the event alerts
    with live.service.inbox.session() as session:
        session.execute(
            "update marts.account_risk_scores set churn_risk_band = 'low' where account_id = %s",
            (account,),
        )
    with httpx.Client() as client:
        assert post_event(client, live.url, "crm_account", "acct-2", data).status_code == 202
    second = live.worker.step()
    expected = alert_id("churn_risk", "account", account, next_batch_day(now).isoformat())
    assert [alert.alert_id for alert in second.alerts] == [expected]
    alert = second.alerts[0]
    assert alert.severity == batch_band == risk_band(score)
    # routed as the batch routes this account's churn alert (its owner, manager if critical)
    batch_routing = query(
        live,
        "select recipient, cc_recipient from marts.alerts where alert_type = 'churn_risk' "
        "and entity_type = 'account' and entity_id = %s",
        (account,),
    )
    assert (alert.recipient, alert.cc_recipient) == batch_routing[0]
    assert len(live.alert_messages(expected)) == len(alert.destinations) >= 1

    # the next daily run: its dbt alert models compute the same id, its delivery sends nothing
    day = next_batch_day(now)
    live.run_batch(BATCH_MODELS, day, tmp_path / "dbt_target")
    rows = query(
        live,
        "select alert_id, recipient from marts.alerts where alert_type = 'churn_risk' "
        "and entity_type = 'account' and entity_id = %s and window_key = %s",
        (account, day.isoformat()),
    )
    assert rows == [(expected, alert.recipient)]
    # the next delivery run that sends it: the daily 06:00 one, or next week's for the digest
    due = day + timedelta(days=7) if alert.tier == "within_week" else day
    report = deliver_pending(
        live.settings, config=bot_config(live.slack), now=datetime.combine(due, time(6))
    )
    assert report.already_delivered >= 1
    assert len(live.alert_messages(expected)) == len(alert.destinations)


def test_a_usage_event_today_rescores_the_account_with_its_last_usage_a_day_before_the_next_run(
    live: Live,
) -> None:
    account = riskiest_account(live)[0]
    now = live.clock.now
    usage = {
        "event_id": 990_000_001,
        "account_id": account,
        "user_email": "someone@example.com",
        "event_name": "feature_used",
        "feature_key": "reports",
        "occurred_at": stamp(now - timedelta(minutes=3)),
    }
    with httpx.Client() as client:
        assert post_event(client, live.url, "product_usage", "use-1", usage).status_code == 202
    assert live.worker.step().processed == 1
    model, _, entity, score = event_score(live, "use-1")
    assert (model, entity) == ("account_churn", account)
    scorer = live.worker.context.scorer
    assert scorer is not None
    as_if = scorer.score_many("account_churn", {account: {"days_since_last_usage": 1}}, now)
    assert score == pytest.approx(float(as_if[account]["score"]), abs=1e-9)
    online = live.worker.context.features.read("account", account)  # type: ignore[union-attr]
    assert online["last_event_type"] == "product_usage"
    assert online["usage_events_today"] >= 1
