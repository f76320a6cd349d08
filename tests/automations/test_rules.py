"""The rule table: the shipped seed reads, rules come highest priority first, and a bad row is
refused with its line and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from automations.rules import ACTIONS, TRIGGERS, RuleError, read_rules

HEADER = "rule_id,enabled,priority,trigger,action,params\n"


def _write(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "rules.csv"
    path.write_text(HEADER + "".join(row + "\n" for row in rows), encoding="utf-8")
    return path


def test_the_shipped_rules_read_in_priority_order() -> None:
    rules = read_rules()
    assert [rule.priority for rule in rules] == sorted(
        (rule.priority for rule in rules), reverse=True
    )
    assert {rule.trigger for rule in rules} <= set(TRIGGERS)
    assert {rule.action for rule in rules} == set(ACTIONS)
    assert any(not rule.enabled for rule in rules)


def test_priority_then_id_orders_rules(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        'b,true,5,churn_risk,update_segment,"{""segment"": ""x""}"',
        'a,yes,5,churn_risk,update_segment,"{""segment"": ""x""}"',
        'c,false,9,ltv_milestone,trigger_campaign,"{""campaign"": ""vip""}"',
    )
    rules = read_rules(path)
    assert [rule.rule_id for rule in rules] == ["c", "a", "b"]
    assert [rule.enabled for rule in rules] == [False, True, True]
    assert rules[0].param("campaign") == "vip"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ('x,true,1,birthday,update_segment,"{""segment"": ""s""}"', "line 2, column trigger"),
        ('x,true,1,churn_risk,delete_customer,"{}"', "line 2, column action"),
        ('x,true,high,churn_risk,update_segment,"{""segment"": ""s""}"', "column priority"),
        ("x,true,1,churn_risk,update_segment,{not json", "column params: not JSON"),
        ('x,true,1,churn_risk,update_segment,"{}"', "update_segment needs segment"),
        ('x,maybe,1,churn_risk,update_segment,"{""segment"": ""s""}"', "column enabled"),
        (
            'x,true,1,churn_risk,send_message,"{""channel"": ""sms"", ""destination"": ""d""}"',
            "channel must be slack or email",
        ),
        ('x,true,1,journey_milestone,update_segment,"{""segment"": ""s""}"', "milestone must be"),
        ('X Y,true,1,churn_risk,update_segment,"{""segment"": ""s""}"', "column rule_id"),
    ],
)
def test_a_bad_row_is_refused_with_line_and_column(tmp_path: Path, row: str, message: str) -> None:
    with pytest.raises(RuleError, match=message):
        read_rules(_write(tmp_path, row))


def test_duplicate_rule_ids_are_refused(tmp_path: Path) -> None:
    row = 'x,true,1,churn_risk,update_segment,"{""segment"": ""s""}"'
    with pytest.raises(RuleError, match="appears twice"):
        read_rules(_write(tmp_path, row, row))
