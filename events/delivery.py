"""Delivering the worker's alerts through the notifier: the same delivery log
(``ops.alert_deliveries``: claim, send, confirm), the same rendering and the same Slack
transport (its pacing and retry rules), one message per alert as soon as it is raised."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime

from notifier.channels import Channel, slack_channel
from notifier.config import SlackConfig
from notifier.delivery import DEFAULT_STALE_AFTER, reconcile, send_messages
from notifier.due import due_pairs
from notifier.messages import Alert, render_alert
from notifier.report import DeliveryReport
from notifier.slack import Transport
from notifier.store import DELIVERIES_TABLE, LogRow, Store, open_store
from warehouse.settings import Settings


class Deliverer:
    """One Slack transport for the worker's life (Slack's pacing per channel holds across
    batches), checked once when the first alert is due."""

    def __init__(
        self,
        settings: Settings,
        config: SlackConfig | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.config = config or SlackConfig.from_env()
        self._sleep = sleep
        self._channel: Channel | None = None
        self._transport: Transport | None = None
        self._reconciled_at: float | None = None

    def deliver(self, alerts: Sequence[Alert], now: datetime) -> DeliveryReport:
        """Send each alert not yet in the delivery log to its destinations, once."""
        report = DeliveryReport(mode=self.config.mode)
        alerts = list({alert.alert_id: alert for alert in alerts}.values())  # one of each
        if not alerts:
            return report
        if self._transport is None:
            outbox = self.settings.artifacts_dir / "outbox" / f"slack-{now:%Y-%m-%d}.jsonl"
            channel = slack_channel(self.config, outbox, self._sleep)
            transport, _ = channel.make_transport()
            transport.check()
            self._channel, self._transport = channel, transport
        assert self._channel is not None and self._transport is not None
        with open_store(self.settings) as store:
            store.ensure_log()
            if self._reconciled_at is None or time.monotonic() - self._reconciled_at > 60:
                # A crash between claim and confirm leaves a claim ``sending``: settled as the
                # notifier does (Slack's history looked up once the claim is ten minutes old).
                reconcile(store, self._transport, report, now, DEFAULT_STALE_AFTER)
                self._reconciled_at = time.monotonic()
            due, skipped = due_pairs(
                alerts,
                _log_rows_of(store, alerts),
                self._channel.mode,
                self._channel.destinations_of,
            )
            report.already_delivered += skipped
            messages = [render_alert(alert, destination) for alert, destination in due]
            send_messages(store, self._transport, messages, report, now)
        return report

    def close(self) -> None:
        close = getattr(self._transport, "close", None)
        if close is not None:
            close()


def _log_rows_of(store: Store, alerts: Sequence[Alert]) -> list[LogRow]:
    """The delivery log's rows of these alerts (not the whole log, which grows every day)."""
    ids = sorted({alert.alert_id for alert in alerts})
    names = list(LogRow.__dataclass_fields__)
    marks = ", ".join(["%s"] * len(ids))
    rows = store.execute(
        f"select {', '.join(names)} from {DELIVERIES_TABLE} where alert_id in ({marks})", ids
    )
    return [LogRow(**dict(zip(names, row, strict=True))) for row in rows]
