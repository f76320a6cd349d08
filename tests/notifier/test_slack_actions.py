"""``POST /slack/actions`` over real HTTP (uvicorn on loopback): signed clicks move the alert
along its lifecycle and rewrite the message in the Slack stand-in with chat.update; forged,
unsigned, stale and replayed requests get 401 and change nothing; a stranger gets an ephemeral
refusal."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from benchmarks.http_server import serve
from notifier.alert_list import alert_events
from notifier.buttons import ACK, ASSIGN_ME, DIGEST_MENU, RATING_BLOCK, RESOLVE, SEND_RATING
from notifier.delivery import deliver_pending
from notifier.signing import REPLAY_WINDOW_SECONDS, sign
from service.routers.slack_actions import standalone_app
from tests.notifier.conftest import (
    CRM_USERS,
    bot_config,
    make_alert,
    slack_id,
    write_alerts,
    write_users,
)
from tests.notifier.slack_standin import VALID_TOKEN, SlackStandIn
from warehouse.settings import Settings

SECRET = "standin-signing-secret"
ALERT = make_alert(1, severity="critical", recipient=slack_id("R1"), owner_user_id="R1")
DIGEST_ALERT = make_alert(2, recipient=slack_id("R1"), owner_user_id="R1")


@pytest.fixture
def clicks(
    warehouse_settings: Settings, slack: SlackStandIn, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, Settings, SlackStandIn]]:
    """The alerts delivered to the stand-in, and the actions endpoint served on loopback."""
    settings = warehouse_settings
    write_users(settings, CRM_USERS)
    write_alerts(settings, [ALERT, DIGEST_ALERT])
    deliver_pending(settings, config=bot_config(slack))
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SECRET)
    monkeypatch.setenv("SLACK_BOT_TOKEN", VALID_TOKEN)
    monkeypatch.setenv("SLACK_API_URL", slack.api_url)
    monkeypatch.setenv("CIW_TARGET", settings.target)
    if settings.target == "duckdb":
        monkeypatch.setenv("CIW_DUCKDB_PATH", str(settings.duckdb_path))
    else:
        monkeypatch.setenv("CIW_PG_DATABASE", settings.pg_database)
    with serve(standalone_app()) as url:
        yield url, settings, slack


def message_for(slack: SlackStandIn, alert_id: str, kind: str) -> dict[str, Any]:
    for message in slack.messages:
        if alert_id in json.dumps(message["blocks"]) and (kind == "digest") == (
            "digest" in message["text"]
        ):
            return message
    raise AssertionError(f"no {kind} message for {alert_id}")


def payload(
    message: dict[str, Any], user: str, action: dict[str, Any], state: dict[str, Any] | None = None
) -> dict[str, Any]:
    channel = "D" + message["channel"]  # the stand-in's DM id of a member
    return {
        "type": "block_actions",
        "user": {"id": user},
        "channel": {"id": channel},
        "container": {"type": "message", "message_ts": message["ts"], "channel_id": channel},
        "message": {"ts": message["ts"], "text": message["text"], "blocks": message["blocks"]},
        "actions": [action],
        "state": {"values": state or {}},
    }


def button(action_id: str, alert_id: str) -> dict[str, Any]:
    return {"type": "button", "action_id": action_id, "value": alert_id}


def post(
    url: str,
    body_payload: dict[str, Any],
    *,
    secret: str = SECRET,
    timestamp: int | None = None,
    signed: bool = True,
    body: bytes | None = None,
) -> httpx.Response:
    body = body if body is not None else urlencode({"payload": json.dumps(body_payload)}).encode()
    stamp = str(timestamp if timestamp is not None else int(time.time()))
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if signed:
        headers["X-Slack-Request-Timestamp"] = stamp
        headers["X-Slack-Signature"] = sign(secret, stamp, body)
    return httpx.post(f"{url}/slack/actions", content=body, headers=headers, timeout=10)


def context_texts(blocks: list[dict[str, Any]]) -> str:
    return json.dumps([block for block in blocks if block["type"] == "context"])


def test_owner_acknowledges_and_resolves_in_place(clicks: tuple[str, Settings, Any]) -> None:
    url, settings, slack = clicks
    message = message_for(slack, ALERT.alert_id, "immediate")
    assert [block.get("block_id") for block in message["blocks"]][-2:] == [
        "ciw_actions",
        RATING_BLOCK,
    ]

    answer = post(url, payload(message, slack_id("R1"), button(ACK, ALERT.alert_id)))

    assert answer.status_code == 200, answer.text
    assert [event["status"] for event in alert_events(settings, ALERT.alert_id)] == ["acknowledged"]
    assert len(slack.updates) == 1
    assert f"Acknowledged by <@{slack_id('R1')}>" in context_texts(message["blocks"])
    assert "ciw_actions" in json.dumps(message["blocks"])  # still open: buttons stay

    answer = post(url, payload(message, slack_id("M1"), button(RESOLVE, ALERT.alert_id)))

    assert answer.status_code == 200
    assert alert_events(settings, ALERT.alert_id)[-1]["actor"] == "M1"  # the owner's manager
    texts = context_texts(message["blocks"])
    assert f"Resolved by <@{slack_id('M1')}>" in texts
    assert "Acknowledged by" not in texts  # the status line is replaced, not stacked
    assert '"ciw_actions"' not in json.dumps(message["blocks"])  # final: no more buttons
    assert slack.ephemerals == []


def test_assign_to_me_from_a_digest_menu(clicks: tuple[str, Settings, Any]) -> None:
    url, settings, slack = clicks
    message = message_for(slack, DIGEST_ALERT.alert_id, "digest")
    choice = {
        "type": "overflow",
        "action_id": DIGEST_MENU,
        "selected_option": {"value": f"{ASSIGN_ME}:{DIGEST_ALERT.alert_id}"},
    }

    assert post(url, payload(message, slack_id("R1"), choice)).status_code == 200

    events = alert_events(settings, DIGEST_ALERT.alert_id)
    assert [(e["event_type"], e["assigned_to"]) for e in events] == [("assigned", "R1")]
    assert f"assigned to <@{slack_id('R1')}>" in context_texts(message["blocks"])


def test_a_stranger_is_refused_with_an_ephemeral_message(
    clicks: tuple[str, Settings, Any],
) -> None:
    url, settings, slack = clicks
    message = message_for(slack, ALERT.alert_id, "immediate")
    before = json.dumps(message["blocks"])

    for user in (slack_id("R2"), slack_id("M2"), "UNOTINCRM"):
        assert post(url, payload(message, user, button(ACK, ALERT.alert_id))).status_code == 200

    assert alert_events(settings, ALERT.alert_id) == []
    assert slack.updates == []
    assert json.dumps(message["blocks"]) == before
    assert [(e["user"], e["text"][:20]) for e in slack.ephemerals] == [
        (slack_id("R2"), "Only the alert's own"),
        (slack_id("M2"), "Only the alert's own"),
        ("UNOTINCRM", "Your Slack account i"),
    ]


@pytest.mark.parametrize(
    "tamper",
    ["unsigned", "forged", "wrong_secret", "stale", "future", "replayed", "body_changed"],
)
def test_unverified_requests_get_401_and_change_nothing(
    clicks: tuple[str, Settings, Any], tamper: str
) -> None:
    url, settings, slack = clicks
    message = message_for(slack, ALERT.alert_id, "immediate")
    click = payload(message, slack_id("R1"), button(ACK, ALERT.alert_id))
    now = int(time.time())
    if tamper == "replayed":
        body = urlencode({"payload": json.dumps(click)}).encode()
        stamp = str(now)
        headers = {
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": sign(SECRET, stamp, body),
            "Content-Type": "application/x-www-form-urlencoded",
        }
        first = httpx.post(f"{url}/slack/actions", content=body, headers=headers)
        assert first.status_code == 200
        events_before = alert_events(settings, ALERT.alert_id)
        answer = httpx.post(f"{url}/slack/actions", content=body, headers=headers)
        assert answer.status_code == 401
        assert "replay" in answer.json()["detail"]
        assert alert_events(settings, ALERT.alert_id) == events_before
        assert len(slack.updates) == 1
        return
    if tamper == "unsigned":
        answer = post(url, click, signed=False)
    elif tamper == "forged":
        body = urlencode({"payload": json.dumps(click)}).encode()
        answer = httpx.post(
            f"{url}/slack/actions",
            content=body,
            headers={"X-Slack-Request-Timestamp": str(now), "X-Slack-Signature": "v0=" + "0" * 64},
        )
    elif tamper == "wrong_secret":
        answer = post(url, click, secret="not-the-secret")
    elif tamper == "stale":
        answer = post(url, click, timestamp=now - REPLAY_WINDOW_SECONDS - 60)
    elif tamper == "future":
        answer = post(url, click, timestamp=now + REPLAY_WINDOW_SECONDS + 60)
    else:  # signed for one body, sent with another
        signed_body = urlencode({"payload": json.dumps(click)}).encode()
        other = dict(click, user={"id": slack_id("M1")})
        stamp = str(now)
        answer = httpx.post(
            f"{url}/slack/actions",
            content=urlencode({"payload": json.dumps(other)}).encode(),
            headers={
                "X-Slack-Request-Timestamp": stamp,
                "X-Slack-Signature": sign(SECRET, stamp, signed_body),
            },
        )
    assert answer.status_code == 401
    assert alert_events(settings, ALERT.alert_id) == []
    assert slack.updates == [] and slack.ephemerals == []


def test_signed_nonsense_gets_400_not_500(clicks: tuple[str, Settings, Any]) -> None:
    url, _, slack = clicks
    message = message_for(slack, ALERT.alert_id, "immediate")
    for body in (b"payload=%7Bnot+json", b"\xff\xfe", b"other=1"):
        assert post(url, {}, body=body).status_code == 400
    bad_action = payload(message, slack_id("R1"), button("ciw_drop_tables", ALERT.alert_id))
    assert post(url, bad_action).status_code == 400
    bad_value = payload(message, slack_id("R1"), button(ACK, "'; drop table x; --"))
    assert post(url, bad_value).status_code == 400
    unknown = payload(message, slack_id("R1"), button(ACK, "f" * 32))
    assert post(url, unknown).status_code == 200
    assert "unknown alert id" in slack.ephemerals[-1]["text"]


def test_the_four_ratings_are_recorded_as_feedback(clicks: tuple[str, Settings, Any]) -> None:
    url, settings, slack = clicks
    message = message_for(slack, ALERT.alert_id, "immediate")
    chosen = {
        "ciw_rate_accuracy": "accurate",
        "ciw_rate_relevance": "very_relevant",
        "ciw_rate_effectiveness": "effective",
        "ciw_rate_priority": "4",
    }
    state = {
        RATING_BLOCK: {
            action: {"type": "static_select", "selected_option": {"value": value}}
            for action, value in chosen.items()
        }
    }
    partial = {RATING_BLOCK: dict(list(state[RATING_BLOCK].items())[:2])}
    send = button(SEND_RATING, ALERT.alert_id)

    assert post(url, payload(message, slack_id("R1"), send, partial)).status_code == 200
    assert "Pick all four" in slack.ephemerals[-1]["text"]
    assert post(url, payload(message, slack_id("R1"), send, state)).status_code == 200
    assert "recorded" in slack.ephemerals[-1]["text"]

    from warehouse import adapter_for

    with adapter_for(settings).session() as session:
        rows = session.rows("select * from ops.alert_feedback")
    assert [
        (row["alert_accuracy"], row["priority_rating"], row["recorded_by"]) for row in rows
    ] == [("accurate", 4, "R1")]


def test_without_a_signing_secret_the_endpoint_is_off(
    clicks: tuple[str, Settings, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, settings, slack = clicks
    monkeypatch.delenv("SLACK_SIGNING_SECRET")
    message = message_for(slack, ALERT.alert_id, "immediate")
    answer = post(url, payload(message, slack_id("R1"), button(ACK, ALERT.alert_id)))
    assert answer.status_code == 503
    assert alert_events(settings, ALERT.alert_id) == []


def test_ciw_serves_the_endpoint_on_its_own(duckdb_settings: Settings, tmp_path: Any) -> None:
    import os
    import socket
    import subprocess
    import sys

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "CIW_DUCKDB_PATH": str(duckdb_settings.duckdb_path)}
    env.pop("SLACK_SIGNING_SECRET", None)
    command = [sys.executable, "-m", "ciw.cli", "alerts", "serve-actions", "--port", str(port)]
    refused = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1
    assert "SLACK_SIGNING_SECRET is not set" in refused.stderr
    server = subprocess.Popen(
        command, env={**env, "SLACK_SIGNING_SECRET": SECRET}, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                answer = httpx.post(f"http://127.0.0.1:{port}/slack/actions", content=b"x=1")
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline and server.poll() is None
                time.sleep(0.2)
        assert answer.status_code == 401
    finally:
        server.terminate()
        server.wait(timeout=30)
