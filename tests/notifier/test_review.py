"""Human review of deal scores above 90 (notifier/review.py, `ciw review`), DuckDB and
PostgreSQL: the notifier holds a queued deal's alert until a manager decides; an approval
releases it, an override sends it with the manager's score, or withholds it when that score no
longer passes the threshold; decisions are final and land in ops.deal_score_reviews.

marts.alerts and marts.deal_review_queue are written here as dbt builds them (the queue mart's
own logic is covered by its dbt unit tests, `_sales_insight__unit_tests.yml`).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence

import pytest

from ciw.cli import main
from notifier.delivery import deliver_pending
from notifier.messages import Alert
from notifier.review import ReviewError, decide, list_reviews
from notifier.store import open_store
from tests.notifier.conftest import bot_config, make_alert, write_alerts
from tests.notifier.slack_standin import SlackStandIn
from warehouse.settings import Settings

QUEUE_DDL = """
create table marts.deal_review_queue (
    review_id varchar, opportunity_id varchar, deal_name varchar, owner_user_id varchar,
    owner_name varchar, model_score double precision, threshold_score double precision,
    as_of_date date, queued_at timestamp, review_status varchar, is_carried_over boolean,
    reviewed_score double precision, review_note varchar, reviewed_by varchar,
    reviewed_at timestamp
)
"""


def write_queue(
    settings: Settings,
    alerts: Sequence[Alert],
    scores: Sequence[float],
    carried: dict[str, tuple[str, float]] | None = None,
) -> None:
    """The queue as dbt builds it; ``carried`` maps an alert id to the decision (status,
    score) the mart carried over from an earlier review of the same deal."""
    carried = carried or {}
    with open_store(settings) as store:
        store.execute(QUEUE_DDL)
        for alert, score in zip(alerts, scores, strict=True):
            status, reviewed = carried.get(alert.alert_id, ("pending", None))
            store.execute(
                "insert into marts.deal_review_queue values"
                " (%s, %s, %s, 'R1', %s, %s, 75, %s, %s, %s, %s, %s, %s, %s, %s)",
                (
                    alert.alert_id,
                    alert.entity_id,
                    alert.entity_name,
                    alert.owner_name,
                    score,
                    alert.as_of_date,
                    alert.created_at,
                    status,
                    alert.alert_id in carried,
                    reviewed,
                    "reviewed on Monday" if alert.alert_id in carried else None,
                    "M1" if alert.alert_id in carried else None,
                    alert.created_at if alert.alert_id in carried else None,
                ),
            )


@pytest.fixture
def queued(warehouse_settings: Settings) -> list[Alert]:
    """Four critical deal alerts, three of them with scores above 90 waiting for review; the
    ids share a prefix, as md5 ids sometimes do."""
    alerts = [
        dataclasses.replace(
            make_alert(number, severity="critical"), alert_id=f"abcdef{number:02x}" + "0" * 24
        )
        for number in (1, 2, 3, 4)
    ]
    write_alerts(warehouse_settings, alerts)
    write_queue(warehouse_settings, alerts[:3], [95.0, 92.5, 97.0])
    return alerts


def test_held_until_approved_then_sent_once_with_the_review(
    warehouse_settings: Settings, queued: list[Alert], slack: SlackStandIn
) -> None:
    first = deliver_pending(warehouse_settings, config=bot_config(slack))

    assert first.held_for_review == 3
    assert Counter(slack.alert_ids_received()) == {queued[3].alert_id: 1}  # not queued: sent
    assert "3 held for a manager's review" in first.summary()
    assert [review.review_id for review in list_reviews(warehouse_settings)] == [
        alert.alert_id for alert in queued[:3]
    ]

    decide(warehouse_settings, queued[0].alert_id[:8], decision="approved", reviewer="M1")
    decide(
        warehouse_settings,
        queued[1].alert_id,
        decision="overridden",
        score=40,
        note="signed the order form yesterday",
        reviewer="M1",
    )
    decide(
        warehouse_settings,
        queued[2].alert_id,
        decision="overridden",
        score=85,
        note="budget moved to next year",
        reviewer="M1",
    )
    second = deliver_pending(warehouse_settings, config=bot_config(slack))

    assert second.held_for_review == 0 and second.withheld_by_review == 1
    received = Counter(slack.alert_ids_received())
    assert received[queued[0].alert_id] == 1 and received[queued[2].alert_id] == 1
    assert queued[1].alert_id not in received  # overridden to 40: under the threshold of 75
    texts = [str(message["blocks"]) for message in slack.messages]
    assert any("*Manager review:* approved by M1" in text for text in texts)
    assert any("*Manager review:* 85/100 by M1 (model 97) - budget moved" in text for text in texts)
    assert list_reviews(warehouse_settings) == []
    with open_store(warehouse_settings) as store:
        decisions = store.execute(
            "select decision, count(*) from ops.deal_score_reviews group by decision"
        )
    assert dict(decisions) == {"approved": 1, "overridden": 2}

    third = deliver_pending(warehouse_settings, config=bot_config(slack))
    assert third.messages == 0


def test_refuses_bad_decisions(warehouse_settings: Settings, queued: list[Alert]) -> None:
    review_id = queued[0].alert_id
    with pytest.raises(ReviewError, match="too short"):
        decide(warehouse_settings, "00", decision="approved")
    with pytest.raises(ReviewError, match="no deal score"):
        decide(warehouse_settings, "ffffffffff", decision="approved")
    with pytest.raises(ReviewError, match="ambiguous"):
        decide(warehouse_settings, "abcdef", decision="approved")
    with pytest.raises(ReviewError, match="needs a --note"):
        decide(warehouse_settings, review_id, decision="overridden", score=50, note=" ")
    with pytest.raises(ReviewError, match="between 0 and 100"):
        decide(warehouse_settings, review_id, decision="overridden", score=150, note="x")
    decide(warehouse_settings, review_id, decision="approved", reviewer="M1")
    with pytest.raises(ReviewError, match="already approved by M1"):
        decide(warehouse_settings, review_id, decision="overridden", score=10, note="late")


def test_the_review_commands(
    warehouse_settings: Settings,
    queued: list[Alert],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for key, value in warehouse_settings.dbt_env().items():
        monkeypatch.setenv(key, value)
    target = ["--target", warehouse_settings.target]

    assert main(["review", "list", *target]) == 0
    listed = capsys.readouterr().out
    assert "3 reviews" in listed and queued[0].alert_id in listed and "pending" in listed

    assert main(["review", "approve", queued[0].alert_id, "--by", "M1", *target]) == 0
    assert "released" in capsys.readouterr().out
    assert main(["review", "override", queued[1].alert_id, "--score", "30", *target]) != 0
    assert "--note" in capsys.readouterr().err
    override = ["review", "override", queued[1].alert_id, "--score", "30", "--note", "won"]
    assert main([*override, *target]) == 0
    assert "withheld" in capsys.readouterr().out
    assert main(["review", "approve", queued[1].alert_id, *target]) == 1
    assert "already overridden" in capsys.readouterr().err

    assert main(["review", "list", "--all", *target]) == 0
    everything = capsys.readouterr().out
    assert "approved 95 by M1" in everything and "overridden 30" in everything


def test_a_decision_carried_over_by_the_mart_releases_the_next_alert(
    warehouse_settings: Settings, slack: SlackStandIn
) -> None:
    """Yesterday's approval of the deal covers today's alert (the mart carried it over): no
    review waits, the alert goes out with the approval; a carried override under the threshold
    keeps the other one back."""
    alerts = [make_alert(number, severity="critical") for number in (1, 2)]
    write_alerts(warehouse_settings, alerts)
    carried = {alerts[0].alert_id: ("approved", 95.0), alerts[1].alert_id: ("overridden", 50.0)}
    write_queue(warehouse_settings, alerts, [95.0, 93.0], carried)

    assert list_reviews(warehouse_settings) == []
    report = deliver_pending(warehouse_settings, config=bot_config(slack))

    assert report.held_for_review == 0 and report.withheld_by_review == 1
    assert slack.alert_ids_received() == [alerts[0].alert_id]
    assert "*Manager review:* approved by M1 - reviewed on Monday" in str(slack.messages[0])
