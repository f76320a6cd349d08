"""``run_automations``: evaluate every enabled rule, highest priority first, and act.

For each rule: its trigger's matches (``automations.triggers``), less the customers it ran for
in the last 24 hours (``automations.log``); each remaining match is logged ``triggered``, its
action runs, and the log row becomes ``executed`` or ``failed`` with the reason. A dry run
lists what would run and writes nothing.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from automations import actions
from automations.log import (
    add_to_segment,
    ensure_tables,
    recently_run,
    record_outcome,
    record_triggered,
)
from automations.rules import RULES_CSV, Rule, read_rules
from automations.triggers import Match, matches
from warehouse.adapters import Session
from warehouse.settings import Settings


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class AutomationReport:
    """What one run did, per rule; ``summary()`` is the line the CLI prints."""

    run_id: str
    dry_run: bool = False
    rules_run: int = 0
    matched: Counter[str] = field(default_factory=Counter)
    duplicates: Counter[str] = field(default_factory=Counter)
    executed: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    planned: list[tuple[Rule, Match]] = field(default_factory=list, repr=False)

    def summary(self) -> str:
        if self.dry_run:
            return (
                f"{self.rules_run} rules: would run {len(self.planned)} actions "
                f"({sum(self.duplicates.values())} skipped as run in the last 24 h)"
            )
        return (
            f"{self.rules_run} rules: {sum(self.executed.values())} executed, "
            f"{sum(self.failed.values())} failed, {sum(self.duplicates.values())} skipped "
            "as run in the last 24 h"
        )


def execution_id(run_id: str, rule_id: str, customer_id: int) -> str:
    return hashlib.md5(f"{run_id}|{rule_id}|{customer_id}".encode()).hexdigest()


def _act(context: actions.ActionContext, rule: Rule, match: Match, run_key: str) -> actions.Outcome:
    try:
        if rule.action == "send_message":
            return actions.send_message(context, rule, match)
        return actions.trigger_campaign(context, rule, match, run_key)
    except Exception as error:  # one action's failure is logged, not fatal to the run
        return actions.Outcome(False, error=f"{type(error).__name__}: {error}")


def _join_segment(
    session: Session, report: AutomationReport, rule: Rule, pending: list[Match], now: datetime
) -> None:
    """A segment rule's pending matches in one go (a first run can match most customers)."""
    if not pending:
        return
    executions = [
        (
            execution_id(report.run_id, rule.rule_id, match.customer_id),
            match.customer_id,
            match.reason,
        )
        for match in pending
    ]
    add_to_segment(
        session,
        run_id=report.run_id,
        rule=(rule.rule_id, rule.trigger, rule.action),
        executions=executions,
        segment=str(rule.param("segment")),
        now=now,
    )
    report.executed[rule.rule_id] += len(pending)


def run_automations(
    settings: Settings,
    *,
    dry_run: bool = False,
    now: datetime | None = None,
    rules: list[Rule] | None = None,
    rules_path: Path = RULES_CSV,
) -> AutomationReport:
    """Run the enabled rules against the marts of ``settings``' warehouse."""
    from warehouse import adapter_for

    clock_given = now is not None
    now = now or utc_now()
    rules = read_rules(rules_path) if rules is None else rules
    rules = sorted(rules, key=lambda rule: (-rule.priority, rule.rule_id))
    report = AutomationReport(run_id=f"automations-{now:%Y%m%dT%H%M%S}", dry_run=dry_run)
    with adapter_for(settings).session() as session:
        if not dry_run:
            ensure_tables(session)
        context = actions.ActionContext(settings, session, now, report.run_id)
        try:
            for rule in (rule for rule in rules if rule.enabled):
                report.rules_run += 1
                found = matches(session, rule)
                report.matched[rule.rule_id] = len(found)
                done = (
                    recently_run(session, rule.rule_id, now)
                    if session.table_exists("ops.automation_runs")
                    else set()
                )
                pending = [match for match in found if match.customer_id not in done]
                report.duplicates[rule.rule_id] += len(found) - len(pending)
                if dry_run:
                    report.planned.extend((rule, match) for match in pending)
                    continue
                if rule.action == "update_segment":  # warehouse-only: all matches at once
                    _join_segment(session, report, rule, pending, now)
                    continue
                for match in pending:
                    key = execution_id(report.run_id, rule.rule_id, match.customer_id)
                    record_triggered(
                        session,
                        execution_id=key,
                        run_id=report.run_id,
                        rule_id=rule.rule_id,
                        customer_id=match.customer_id,
                        trigger_type=rule.trigger,
                        action=rule.action,
                        trigger_reason=match.reason,
                        now=now,
                    )
                    outcome = _act(context, rule, match, key)
                    record_outcome(
                        session,
                        key,
                        executed=outcome.executed,
                        detail=outcome.detail,
                        error=outcome.error,
                        now=now if clock_given else utc_now(),
                    )
                    if outcome.executed:
                        report.executed[rule.rule_id] += 1
                    else:
                        report.failed[rule.rule_id] += 1
                        if outcome.error and outcome.error not in report.errors:
                            report.errors.append(outcome.error)
        finally:
            context.close()
    return report
