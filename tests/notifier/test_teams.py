"""Microsoft Teams through its incoming webhook (a stand-in on loopback): the same messages as
Slack as Adaptive Cards, exactly once in the same delivery log, and the webhook's faults."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from notifier.config import NotifierError, SlackConfig
from notifier.delivery import deliver_pending
from notifier.store import open_store
from notifier.teams import TeamsConfig
from tests.notifier.conftest import bot_config, make_alert, write_alerts
from tests.notifier.slack_standin import SlackStandIn
from tests.notifier.teams_standin import TeamsStandIn
from warehouse.settings import Settings

OUTBOX = SlackConfig()
ALERTS = [
    make_alert(1, severity="critical"),
    make_alert(2),
    make_alert(3, recipient="#sales-leadership"),
]


@pytest.fixture
def teams() -> Iterator[TeamsStandIn]:
    server = TeamsStandIn().start()
    try:
        yield server
    finally:
        server.stop()


def teams_config(server: TeamsStandIn) -> TeamsConfig:
    return TeamsConfig(
        webhook_url=server.url,
        timeout_seconds=1.0,
        backoff_seconds=0.05,
        min_interval_seconds=0.0,
        max_attempts=4,
    )


def teams_log(settings: Settings) -> dict[tuple[str, str], str]:
    with open_store(settings) as store:
        rows = store.log_rows()
    return {(r.alert_id, r.destination): r.status for r in rows if r.destination[:6] == "teams:"}


def test_teams_gets_the_slack_messages_as_cards_exactly_once(
    warehouse_settings: Settings, slack: SlackStandIn, teams: TeamsStandIn
) -> None:
    write_alerts(warehouse_settings, ALERTS)
    config = teams_config(teams)

    report = deliver_pending(warehouse_settings, config=bot_config(slack), teams=config)
    deliver_pending(warehouse_settings, config=bot_config(slack), teams=config)

    assert report.channels == ["slack", "teams"]
    assert len(teams.cards) == len(slack.messages) == 3
    assert sorted(teams.alert_ids_received()) == sorted(slack.alert_ids_received())
    by_text = {card["body"][0]["text"]: card for card in teams.cards}
    critical = by_text["🚨 High-Risk Deal Alert"]
    texts = [block["text"] for block in critical["body"]]
    assert ALERTS[0].title in texts[1] and "**Risk Score:**" in texts[1]
    assert any("**Top Risk Factors:**" in text for text in texts)
    assert critical["body"][0]["size"] == "Large"
    assert texts[-1].startswith("For U0REP00001. Internal: alert ids")
    assert critical["type"] == "AdaptiveCard" and critical["version"] == "1.4"
    assert set(teams_log(warehouse_settings)) == {
        (ALERTS[0].alert_id, "teams:U0REP00001"),
        (ALERTS[1].alert_id, "teams:U0REP00001"),
        (ALERTS[2].alert_id, "teams:#sales-leadership"),
    }
    assert set(teams_log(warehouse_settings).values()) == {"sent"}


def test_throttling_is_waited_out(duckdb_settings: Settings, teams: TeamsStandIn) -> None:
    write_alerts(duckdb_settings, ALERTS)
    teams.script("429", "legacy_429", "accepted")
    waits: list[float] = []

    report = deliver_pending(
        duckdb_settings, config=OUTBOX, teams=teams_config(teams), sleep=waits.append
    )

    assert 1.0 in waits  # Retry-After
    assert len(teams.cards) == 3 and report.unknown == 0


def test_lost_answers_are_unknown_and_never_resent(
    duckdb_settings: Settings, teams: TeamsStandIn
) -> None:
    write_alerts(duckdb_settings, ALERTS)
    teams.script("lost_500", "lost_reset")

    first = deliver_pending(duckdb_settings, config=OUTBOX, teams=teams_config(teams))
    deliver_pending(duckdb_settings, config=OUTBOX, teams=teams_config(teams))

    assert first.unknown == 2 and first.answers_lost == 2
    assert sorted(teams.alert_ids_received()) == sorted(a.alert_id for a in ALERTS)
    assert sorted(teams_log(duckdb_settings).values()) == ["sent", "unknown", "unknown"]


def test_a_refused_card_is_logged_and_a_revoked_url_stops(
    duckdb_settings: Settings, teams: TeamsStandIn
) -> None:
    write_alerts(duckdb_settings, ALERTS)
    teams.script("400")
    report = deliver_pending(duckdb_settings, config=OUTBOX, teams=teams_config(teams))
    assert report.refused == 1 and len(teams.cards) == 2

    write_alerts(duckdb_settings, [make_alert(9)])
    teams.script("404")
    with pytest.raises(NotifierError, match="Teams rejected TEAMS_WEBHOOK_URL") as stopped:
        deliver_pending(duckdb_settings, config=OUTBOX, teams=teams_config(teams))
    assert teams.url not in str(stopped.value)
    assert len(teams.cards) == 2
