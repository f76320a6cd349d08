"""``push``: send the CRM what changed in the scored marts, each value and task exactly once.

A run plans and claims in one transaction (under a lock on PostgreSQL): it reads the marts
and ``ops.crm_writeback``, works out the diff (``crm.plan``) and records every write it is
about to send as ``pending``. Then it sends leads, accounts and tasks in batches of at most
200, and settles each batch's rows (``written`` or ``failed`` with the CRM's error) as soon
as the answer is in. A crash leaves ``pending`` rows, which the next run sends again once
they are older than ``Policy.stale_after``; that is safe because every write is an upsert of
absolute values by the record's key, and every task is upserted by its own key: sending it
twice leaves one task.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from crm.config import CrmError, SalesforceConfig
from crm.desired import ACCOUNT, LEAD, TASK, read_desired
from crm.log import LOG_TABLE, PLAN_LOCK, Outcome, claim, ensure_log, read_log, settle
from crm.plan import DEFAULT_POLICY, Plan, Policy, Write, decode, plan_writes
from crm.salesforce import RecordResult, SalesforceTarget
from warehouse.adapters import Session, adapter_for
from warehouse.settings import Settings

TARGET = "salesforce"
SEND_ORDER = (LEAD, ACCOUNT, TASK)


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class PushReport:
    """What one run did (or, dry, would do); ``summary()`` is the line the CLI prints."""

    configured: bool
    dry_run: bool = False
    plan: Plan = field(default_factory=Plan)
    written: Counter[str] = field(default_factory=Counter)  # records written, by object
    failed: Counter[str] = field(default_factory=Counter)  # records refused, by object
    created: Counter[str] = field(default_factory=Counter)  # records the CRM created
    errors: list[str] = field(default_factory=list)  # the first refusals, for the report
    requests: int = 0
    token_fetches: int = 0
    waited_seconds: float = 0.0

    @property
    def records(self) -> Counter[str]:
        """Records to send, by object."""
        return Counter({name: len(self.plan.records(name)) for name in SEND_ORDER})

    def diff_rows(self) -> list[tuple[str, str, str, str, str, str]]:
        """The diff as rows to show: object, record, field, value in the CRM, new value, note.
        A task is one row: its subject, due date and related record."""
        rows = []
        for write in sorted(self.plan.writes, key=lambda write: SEND_ORDER.index(write.sobject)):
            note = f"attempt {write.attempt}" if write.is_retry else ""
            if write.sobject == TASK:
                task = decode(write.new_value)
                new = f"{task['Subject']} (due {task['ActivityDate']}, {task['Priority']})"
                rows.append((TASK, write.record_key, "new task", "", new, note))
                continue
            old = "" if write.old_value is None else str(decode(write.old_value))
            new = str(decode(write.new_value))
            rows.append((write.sobject, write.record_key, write.field, old, new, note))
        return rows

    def summary(self) -> str:
        if not self.configured and not self.dry_run:
            return (
                "no CRM credentials (SALESFORCE_TOKEN_URL, SALESFORCE_CLIENT_ID, "
                "SALESFORCE_CLIENT_SECRET): nothing pushed"
            )
        plan = self.plan
        counts = ", ".join(f"{count} {name}" for name, count in self.records.items() if count)
        values = sum(write.sobject != TASK for write in plan.writes)
        verb = "would send" if self.dry_run else "sent"
        parts = [
            f"{verb} {values} field values and {self.records[TASK]} tasks"
            f" on {sum(self.records.values())} records ({counts})"
            if plan.writes
            else "nothing to send"
        ]
        if not self.dry_run and plan.writes:
            written = ", ".join(f"{n} {name}" for name, n in self.written.items())
            parts.append(
                f"written: {written or 'none'} in {self.requests} requests (token included)"
            )
        if self.failed:
            parts.append(
                f"refused: {', '.join(f'{n} {name}' for name, n in self.failed.items())}"
                " (logged; sent again next run)"
            )
        if self.created[TASK]:
            parts.append(f"{self.created[TASK]} tasks created")
        unexpected = {name: n for name, n in self.created.items() if name != TASK}
        if unexpected:
            parts.append(f"records created by the upsert: {unexpected}")
        retried = sum(write.is_retry for write in plan.writes)
        if retried:
            parts.append(f"{retried} sent again (refused or interrupted before)")
        parts.append(f"{plan.unchanged} unchanged")
        if plan.superseded:
            parts.append(f"{len(plan.superseded)} unsent values superseded (the marts changed)")
        if plan.in_flight:
            parts.append(f"{plan.in_flight} claimed by a run still in flight")
        if plan.given_up:
            parts.append(
                f"{plan.given_up} refused too often: not sent again until their value changes"
            )
        if plan.too_old:
            parts.append(f"{plan.too_old} records scored too long ago (a backfill?): left alone")
        if plan.missing_marts:
            parts.append(f"missing: {', '.join(plan.missing_marts)}")
        if self.token_fetches > 1:
            parts.append(f"token refreshed {self.token_fetches - 1} times")
        if self.waited_seconds:
            parts.append(f"waited {self.waited_seconds:.1f} s for the CRM")
        return "; ".join(parts)


def push(
    settings: Settings,
    *,
    dry_run: bool = False,
    config: SalesforceConfig | None = None,
    now: datetime | None = None,
    policy: Policy = DEFAULT_POLICY,
    sleep: Callable[[float], None] = time.sleep,
) -> PushReport:
    """Plan the diff and, unless ``dry_run``, claim and send it. Without credentials (and
    not dry) nothing is read or written: the report says so."""
    config = config or SalesforceConfig.from_env()
    report = PushReport(configured=config.configured, dry_run=dry_run)
    if not config.configured and not dry_run:
        return report
    now = now or utc_now()
    adapter = adapter_for(settings)
    with adapter.session(transaction=not dry_run) as session:
        if not dry_run:
            session.lock(PLAN_LOCK)
            ensure_log(session)
        log = read_log(session, TARGET) if session.table_exists(LOG_TABLE) else []
        desired, missing = read_desired(session)
        report.plan = plan_writes(desired, log, config, now=now, policy=policy)
        report.plan.missing_marts = missing
        if not dry_run:
            claim(session, report.plan, TARGET, now)
    if dry_run or not report.plan.writes:
        return report
    with adapter.session() as session, SalesforceTarget(config, sleep=sleep) as target:
        try:
            _send(session, target, report)
        finally:
            report.requests = target.requests
            report.token_fetches = target.token_fetches
            report.waited_seconds = sum(target.waits)
    return report


def _send(session: Session, target: SalesforceTarget, report: PushReport) -> None:
    batches = [
        (sobject, chunk)
        for sobject in SEND_ORDER
        for chunk in _chunks(list(report.plan.records(sobject).items()), target.config.batch_size)
    ]
    for number, (sobject, chunk) in enumerate(batches):
        records = [(key, _fields(writes)) for key, writes in chunk]
        try:
            results = target.write(sobject, records)
        except CrmError as stopped:
            # This batch may or may not have reached the CRM, the rest did not: all of it is
            # sent again by the next run (the writes are idempotent upserts).
            left = [write for _, rest in batches[number:] for _, writes in rest for write in writes]
            reason = f"not confirmed: the run stopped ({stopped})"
            settle(session, TARGET, [Outcome(write, "failed", reason) for write in left], utc_now())
            raise
        settle(session, TARGET, _outcomes(sobject, chunk, results, report), utc_now())


def _chunks(items: list[tuple[str, list[Write]]], size: int) -> list[list[tuple[str, list[Write]]]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


def _fields(writes: Sequence[Write]) -> dict[str, object]:
    """The body of one record: its changed fields, or a task's fields."""
    if writes[0].sobject == TASK:
        return dict(decode(writes[0].new_value))
    return {write.field: decode(write.new_value) for write in writes}


def _outcomes(
    sobject: str,
    chunk: list[tuple[str, list[Write]]],
    results: list[RecordResult],
    report: PushReport,
) -> list[Outcome]:
    outcomes: list[Outcome] = []
    for (key, writes), result in zip(chunk, results, strict=True):
        if result.success:
            report.written[sobject] += 1
            if result.created:
                report.created[sobject] += 1
        else:
            report.failed[sobject] += 1
            if len(report.errors) < 10:
                report.errors.append(f"{sobject} {key}: {result.error}")
        status = "written" if result.success else "failed"
        outcomes.extend(
            Outcome(write, status, result.error, result.crm_id, result.created) for write in writes
        )
    return outcomes
