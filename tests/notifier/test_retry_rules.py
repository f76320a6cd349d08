"""The verdicts on Slack's answers and the retry loop that acts on them, without a network:
which outcomes are unsure, when the history is looked up, and what giving up leaves behind."""

from __future__ import annotations

import http.client
from typing import Any
from urllib.error import URLError

import pytest

from notifier.answers import (
    NON_JSON_ERROR_PREFIX,
    Verdict,
    api_verdict,
    error_verdict,
    retry_after,
    webhook_verdict,
)
from notifier.config import SlackConfig, SlackDown
from notifier.retrying import OutcomeUnknown, Retrying, SlackUnavailable, SlackUnsettled

CONFIG = SlackConfig(max_attempts=3, backoff_seconds=1.0, history_lag_seconds=5.0)


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (URLError(ConnectionRefusedError(111, "Connection refused")), "retry"),
        (URLError(TimeoutError("timed out")), "retry"),
        (TimeoutError("The read operation timed out"), "unsure"),
        (ConnectionResetError(104, "Connection reset by peer"), "unsure"),
        (http.client.RemoteDisconnected("Remote end closed connection"), "unsure"),
        (http.client.IncompleteRead(b'{"ok": tr', 20), "unsure"),
        (http.client.BadStatusLine("garbage"), "unsure"),
    ],
)
def test_error_verdicts(error: BaseException, kind: str) -> None:
    verdict = error_verdict(error)
    assert verdict is not None and verdict.kind == kind


def test_errors_that_are_not_about_the_exchange_propagate() -> None:
    assert error_verdict(ValueError("a bug")) is None
    assert error_verdict(KeyError("channel")) is None


@pytest.mark.parametrize(
    ("status", "data", "headers", "expected"),
    [
        (200, {"ok": True}, {}, Verdict("done")),
        (200, {"ok": False, "error": "channel_not_found"}, {}, Verdict("done")),
        (429, {"ok": False}, {"Retry-After": "7"}, Verdict("retry", "rate limited (429) on m", 7)),
        (500, {"ok": False}, {}, Verdict("unsure", "HTTP 500 on m")),
        (502, {"ok": False, "error": f"{NON_JSON_ERROR_PREFIX}: <html>"}, {}, None),
        (200, {"ok": False, "error": f"{NON_JSON_ERROR_PREFIX}: <html>"}, {}, None),
        (
            200,
            {"ok": False, "error": "internal_error"},
            {},
            Verdict("unsure", "internal_error on m"),
        ),
        (200, {"ok": False, "error": "fatal_error"}, {}, Verdict("unsure", "fatal_error on m")),
        (200, b"binary", {}, Verdict("unsure", "unparsable answer (HTTP 200) on m")),
        (403, {"ok": False, "error": f"{NON_JSON_ERROR_PREFIX}: <html>"}, {}, Verdict("done")),
    ],
)
def test_api_verdicts(
    status: int, data: Any, headers: dict[str, str], expected: Verdict | None
) -> None:
    verdict = api_verdict("m", status, data, headers)
    if expected is None:
        assert verdict.kind == "unsure"
    else:
        assert verdict == expected


def test_non_json_error_prefix_is_the_one_slack_sdk_writes() -> None:
    from slack_sdk.web.internal_utils import _build_unexpected_body_error_message

    assert _build_unexpected_body_error_message("<html>").startswith(NON_JSON_ERROR_PREFIX)


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (200, "ok", "done"),
        (200, "<html><h1>200</h1></html>", "unsure"),
        (200, "", "unsure"),
        (404, "no_service", "done"),
        (400, "invalid_payload", "done"),
        (429, "", "retry"),
        (503, "<html>", "unsure"),
    ],
)
def test_webhook_verdicts(status: int, body: str, kind: str) -> None:
    assert webhook_verdict(status, body, {}).kind == kind


def test_retry_after_reads_the_header_or_defaults_to_a_second() -> None:
    assert retry_after({"Retry-After": "3"}) == 3.0
    assert retry_after({"retry-after": ["12"]}) == 12.0
    assert retry_after({"Retry-After": "soon"}) == 1.0
    assert retry_after({}) == 1.0


class Script:
    """A call whose outcomes are scripted: an exception to raise or a verdict kind."""

    def __init__(self, *outcomes: BaseException | str) -> None:
        self.outcomes = list(outcomes)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    @staticmethod
    def classify(result: str) -> Verdict:
        if result == "429":
            return Verdict("retry", "rate limited", 2.0)
        if result == "500":
            return Verdict("unsure", "HTTP 500")
        return Verdict("done")


class Lookups:
    def __init__(self, *answers: str | BaseException | None) -> None:
        self.answers = list(answers)
        self.calls = 0

    def __call__(self) -> str | None:
        self.calls += 1
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer


def retrying() -> Retrying:
    return Retrying(CONFIG, sleep=lambda seconds: None)


def test_unsure_outcome_is_settled_by_the_look_up_and_not_repeated() -> None:
    call, lookups, rules = Script("500"), Lookups("found"), retrying()

    assert rules.call("post", call, Script.classify, "settle", lookups) == "found"
    assert call.calls == 1 and lookups.calls == 1
    assert rules.waits == [1.0]  # the backoff before the look-up
    assert rules.unsure_outcomes["post"] == 1 and rules.lookups == 1


def test_second_look_up_after_the_history_lag() -> None:
    call, lookups, rules = Script("500"), Lookups(None, "found"), retrying()

    assert rules.call("post", call, Script.classify, "settle", lookups) == "found"
    assert rules.waits == [1.0, 5.0] and rules.lookups == 2


def test_not_found_twice_is_repeated_once() -> None:
    call, lookups, rules = Script("500", "ok"), Lookups(None, None), retrying()

    assert rules.call("post", call, Script.classify, "settle", lookups) == "ok"
    assert call.calls == 2 and lookups.calls == 2


def test_rate_limit_waits_and_is_never_looked_up() -> None:
    call, lookups, rules = Script("429", "ok"), Lookups(), retrying()

    assert rules.call("post", call, Script.classify, "settle", lookups) == "ok"
    assert lookups.calls == 0 and rules.waits == [2.0]


def test_connection_never_made_is_repeated_without_a_look_up() -> None:
    refused = URLError(ConnectionRefusedError(111, "refused"))
    call, lookups, rules = Script(refused, "ok"), Lookups(), retrying()

    assert rules.call("post", call, Script.classify, "settle", lookups) == "ok"
    assert lookups.calls == 0 and rules.unsure_outcomes["post"] == 0


def test_failing_look_up_is_unsettled_not_unavailable() -> None:
    call = Script(ConnectionResetError(104, "reset"))
    lookups = Lookups(SlackUnavailable("history failed after 3 attempts"))

    with pytest.raises(SlackUnsettled, match="look-up failed"):
        retrying().call("post", call, Script.classify, "settle", lookups)
    assert call.calls == 1


def test_giving_up_after_an_unsure_outcome_is_unsettled() -> None:
    call, lookups = Script("500", "429", "429"), Lookups(None, None)

    with pytest.raises(SlackUnsettled, match="failed after 3 attempts"):
        retrying().call("post", call, Script.classify, "settle", lookups)


def test_giving_up_after_only_certain_failures_is_unavailable() -> None:
    rules = retrying()
    with pytest.raises(SlackUnavailable) as failure:
        rules.call("post", Script("429", "429", "429"), Script.classify, "settle", Lookups())
    assert not isinstance(failure.value, SlackUnsettled)
    assert isinstance(failure.value, SlackDown)
    assert rules.waits == [2.0, 2.0]  # no wait after the last attempt


def test_last_unsure_attempt_of_a_repeated_call_is_not_counted_as_resent() -> None:
    rules = retrying()
    with pytest.raises(SlackUnavailable):
        rules.call("webhook", Script("500", "500", "500"), Script.classify, "repeat")
    assert rules.repeated_unsure["webhook"] == 2 and rules.unsure_outcomes["webhook"] == 3


def test_stop_policy_raises_unknown_at_once() -> None:
    call, rules = Script(TimeoutError("read timed out")), retrying()

    with pytest.raises(OutcomeUnknown, match="answer lost"):
        rules.call("webhook", call, Script.classify, "stop")
    assert call.calls == 1 and rules.waits == []


def test_repeat_policy_counts_what_it_repeated() -> None:
    rules = retrying()

    assert rules.call("webhook", Script("500", "ok"), Script.classify, "repeat") == "ok"
    assert rules.repeated_unsure["webhook"] == 1


def test_settle_policy_needs_a_settle_function() -> None:
    with pytest.raises(ValueError, match="settle function"):
        retrying().call("post", Script("500"), Script.classify, "settle")


def test_bugs_in_the_call_propagate() -> None:
    with pytest.raises(KeyError):
        retrying().call("post", Script(KeyError("x")), Script.classify)
