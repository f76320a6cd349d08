"""The Salesforce client's rules, through real sockets against the stand-in: the token,
Retry-After on 429, backoff on REQUEST_LIMIT_EXCEEDED and 5xx, bounded attempts, one token
refresh on INVALID_SESSION_ID, lost answers repeated without a second task, per-record
errors, and secrets kept out of every error."""

from __future__ import annotations

from typing import Any

import pytest

from crm.config import CrmAuthError, CrmDown, CrmError
from crm.salesforce import SalesforceTarget
from tests.crm.conftest import standin_config
from tests.crm.salesforce_standin import CLIENT_SECRET, Fault, SalesforceStandIn

LEADS = [("LEAD0000001", {"Lead_Score__c": 81, "Priority__c": "Critical"})]
TASK = [
    (
        "CIW-LEAD-LEAD0000001-20261122",
        {
            "Subject": "Follow up",
            "ActivityDate": "2026-11-23",
            "Priority": "High",
            "Status": "Not Started",
            "Who": {"attributes": {"type": "Lead"}, "CIW_External_Id__c": "LEAD0000001"},
        },
    )
]


def target(standin: SalesforceStandIn, **overrides: Any) -> tuple[SalesforceTarget, list[float]]:
    standin.org.seed("Lead", ["LEAD0000001"])
    waits: list[float] = []
    return SalesforceTarget(standin_config(standin, **overrides), sleep=waits.append), waits


def routes(standin: SalesforceStandIn) -> list[tuple[str, int]]:
    return [(call.route, call.status) for call in standin.calls]


def test_token_then_upsert(salesforce: SalesforceStandIn) -> None:
    client, waits = target(salesforce)

    results = client.write("Lead", LEADS)

    assert results[0].success and results[0].created is False and results[0].crm_id
    assert routes(salesforce) == [("token", 200), ("write", 200)]
    assert waits == [] and client.token_fetches == 1


def test_429_waits_for_retry_after_then_repeats(salesforce: SalesforceStandIn) -> None:
    client, waits = target(salesforce)
    salesforce.script("write", Fault(429, "REQUEST_LIMIT_EXCEEDED", {"Retry-After": "2"}))

    assert client.write("Lead", LEADS)[0].success

    assert waits == [2.0]
    assert routes(salesforce) == [("token", 200), ("write", 429), ("write", 200)]
    assert salesforce.org.writes[("Lead", "LEAD0000001")] == 1


def test_request_limit_exceeded_and_5xx_back_off_doubling(salesforce: SalesforceStandIn) -> None:
    client, waits = target(salesforce)
    salesforce.script("write", Fault(403, "REQUEST_LIMIT_EXCEEDED"), Fault(503), Fault(500))

    assert client.write("Lead", LEADS)[0].success

    assert waits == [0.01, 0.02, 0.04]


def test_attempts_are_bounded(salesforce: SalesforceStandIn) -> None:
    client, waits = target(salesforce, max_attempts=3)
    salesforce.script("write", *[Fault(503)] * 3)

    with pytest.raises(CrmDown, match="failed after 3 attempts: 503"):
        client.write("Lead", LEADS)

    assert len(waits) == 2 and salesforce.org.writes == {}


def test_a_retry_after_longer_than_the_limit_stops_at_once(salesforce: SalesforceStandIn) -> None:
    client, waits = target(salesforce)
    salesforce.script("write", Fault(403, "REQUEST_LIMIT_EXCEEDED", {"Retry-After": "3600"}))

    with pytest.raises(CrmDown, match="asks to wait 3600 s"):
        client.write("Lead", LEADS)

    assert waits == []


def test_an_expired_token_is_refreshed_once(salesforce: SalesforceStandIn) -> None:
    client, _ = target(salesforce)
    client.write("Lead", LEADS)
    salesforce.expire_tokens()

    assert client.write("Lead", LEADS)[0].success

    assert client.token_fetches == 2
    assert routes(salesforce)[2:] == [("write", 401), ("token", 200), ("write", 200)]
    tokens = [call.authorization for call in salesforce.write_calls()]
    assert tokens[1] == tokens[0] != tokens[2]


def test_a_fresh_token_refused_too_stops_with_one_line(salesforce: SalesforceStandIn) -> None:
    client, _ = target(salesforce)
    salesforce.script("write", Fault(401, "INVALID_SESSION_ID"), Fault(401, "INVALID_SESSION_ID"))

    with pytest.raises(CrmAuthError, match="freshly issued token was refused too"):
        client.write("Lead", LEADS)

    assert client.token_fetches == 2


def test_bad_client_credentials_stop_without_showing_the_secret(
    salesforce: SalesforceStandIn,
) -> None:
    client, _ = target(salesforce, client_secret="wrong-" + CLIENT_SECRET)

    with pytest.raises(CrmAuthError) as raised:
        client.write("Lead", LEADS)

    message = str(raised.value)
    assert "invalid_client" in message and "SALESFORCE_CLIENT_SECRET" in message
    assert CLIENT_SECRET not in message
    assert routes(salesforce) == [("token", 400)]


def test_the_token_endpoint_failing_is_retried(salesforce: SalesforceStandIn) -> None:
    client, waits = target(salesforce)
    salesforce.script("token", Fault(503), Fault(503, reset=True))

    assert client.write("Lead", LEADS)[0].success

    assert routes(salesforce) == [("token", 503), ("token", 0), ("token", 200), ("write", 200)]
    assert len(waits) == 2


def test_a_lost_answer_is_repeated_and_the_task_stays_one(salesforce: SalesforceStandIn) -> None:
    client, _ = target(salesforce)
    salesforce.script("write", Fault(500, act=True), Fault(502, act=True, reset=True))

    results = client.write("Task", TASK)

    assert results[0].success and results[0].created is False  # the third request updated it
    assert list(salesforce.org.tasks()) == [TASK[0][0]]
    assert salesforce.org.writes[("Task", TASK[0][0])] == 3


def test_per_record_errors_come_back_with_code_message_and_fields(
    salesforce: SalesforceStandIn,
) -> None:
    client, _ = target(salesforce)
    unknown = [("LEAD0000404", {"Lead_Score__c": 12})]

    results = client.write("Lead", LEADS + unknown)

    assert [result.success for result in results] == [True, False]
    assert results[1].error == (
        "REQUIRED_FIELD_MISSING: Required fields are missing: ['LastName', 'Company']"
        " (LastName, Company)"
    )


def test_a_malformed_request_stops_without_repeating(salesforce: SalesforceStandIn) -> None:
    client, waits = target(salesforce)

    with pytest.raises(CrmError, match="400 INVALID_FIELD: No such column 'Bogus__c'"):
        client.write("Lead", [("LEAD0000001", {"Bogus__c": 1})])

    assert waits == [] and len(salesforce.write_calls()) == 1


def test_more_records_than_the_batch_size_are_never_sent(salesforce: SalesforceStandIn) -> None:
    client, _ = target(salesforce, batch_size=2)

    with pytest.raises(ValueError, match="at most 2"):
        client.write("Lead", LEADS * 3)

    assert salesforce.calls == []
