"""The automation rule table: dbt seed ``automation_rules.csv``, validated on read.

A rule names a trigger (which customers, from which mart), an action and its parameters (a
JSON object). A bad row is refused with its line and column, never half-applied.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from warehouse.paths import DBT_PROJECT_DIR

RULES_CSV = DBT_PROJECT_DIR / "seeds" / "automation_rules.csv"
TRIGGERS = (
    "churn_risk",
    "product_intent",
    "cart_abandonment",
    "ltv_milestone",
    "journey_milestone",
)
ACTIONS = ("send_message", "update_segment", "trigger_campaign")
#: Parameters each action needs.
ACTION_PARAMS: dict[str, tuple[str, ...]] = {
    "send_message": ("channel", "destination"),
    "update_segment": ("segment",),
    "trigger_campaign": ("campaign",),
}
MESSAGE_CHANNELS = ("slack", "email")
JOURNEY_MILESTONES = ("at_risk_of_churn", "ready_for_upsell", "likely_to_purchase_in_7_days")
_RULE_ID = re.compile(r"^[a-z0-9_]{1,64}$")
_TRUE = ("true", "t", "1", "yes")
_FALSE = ("false", "f", "0", "no")


class RuleError(ValueError):
    """The rule table cannot be used as it is; the message names the line and column."""


@dataclass(frozen=True)
class Rule:
    rule_id: str
    enabled: bool
    priority: int
    trigger: str
    action: str
    params: dict[str, Any] = field(default_factory=dict)

    def param(self, name: str, default: Any = None) -> Any:
        return self.params.get(name, default)


def _boolean(value: str, where: str) -> bool:
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise RuleError(f"{where}, column enabled: {value!r} is not true or false")


def parse_rule(row: dict[str, str], where: str) -> Rule:
    """One CSV row as a rule, or a ``RuleError`` naming ``where`` and the column."""
    rule_id = (row.get("rule_id") or "").strip()
    if not _RULE_ID.match(rule_id):
        raise RuleError(f"{where}, column rule_id: {rule_id!r} is not a lower-case id")
    trigger = (row.get("trigger") or "").strip()
    if trigger not in TRIGGERS:
        raise RuleError(f"{where}, column trigger: {trigger!r} is not one of {', '.join(TRIGGERS)}")
    action = (row.get("action") or "").strip()
    if action not in ACTIONS:
        raise RuleError(f"{where}, column action: {action!r} is not one of {', '.join(ACTIONS)}")
    try:
        priority = int((row.get("priority") or "").strip())
    except ValueError:
        raise RuleError(
            f"{where}, column priority: {row.get('priority')!r} is not an integer"
        ) from None
    try:
        params = json.loads(row.get("params") or "{}")
    except json.JSONDecodeError as error:
        raise RuleError(f"{where}, column params: not JSON ({error.msg})") from None
    if not isinstance(params, dict):
        raise RuleError(f"{where}, column params: must be a JSON object")
    missing = [name for name in ACTION_PARAMS[action] if not params.get(name)]
    if missing:
        raise RuleError(f"{where}, column params: {action} needs {', '.join(missing)}")
    if action == "send_message" and params["channel"] not in MESSAGE_CHANNELS:
        raise RuleError(f"{where}, column params: channel must be slack or email")
    if trigger == "journey_milestone" and params.get("milestone") not in JOURNEY_MILESTONES:
        raise RuleError(f"{where}, column params: milestone must be one of {JOURNEY_MILESTONES}")
    return Rule(
        rule_id, _boolean(row.get("enabled") or "", where), priority, trigger, action, params
    )


def read_rules(path: Path = RULES_CSV) -> list[Rule]:
    """Every rule of the table, highest priority first (then by id); ids must be unique."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    rules = [parse_rule(row, f"{path.name} line {line}") for line, row in enumerate(rows, 2)]
    seen: set[str] = set()
    for rule in rules:
        if rule.rule_id in seen:
            raise RuleError(f"{path.name}: rule_id {rule.rule_id!r} appears twice")
        seen.add(rule.rule_id)
    return sorted(rules, key=lambda rule: (-rule.priority, rule.rule_id))
