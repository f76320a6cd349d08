"""What one notifier run did, over every channel; ``summary()`` is the line ``ciw notify``
prints and the Dagster asset's metadata."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from notifier.messages import Message


@dataclass
class DeliveryReport:
    """What one notifier run did; ``summary()`` is the line the CLI prints."""

    mode: str
    dry_run: bool = False
    alerts_considered: int = 0
    messages_by_kind: Counter[str] = field(default_factory=Counter)
    messages_by_destination: Counter[str] = field(default_factory=Counter)
    deliveries: int = 0  # (alert, destination) pairs delivered in this run
    already_delivered: int = 0
    reconciled_sent: int = 0  # crashed claims found in Slack: confirmed, not resent
    reconciled_resent: int = 0  # crashed claims not found: due again
    unknown: int = 0  # webhook deliveries that may or may not have arrived: never resent
    unsettled: int = 0  # answer lost and the look-up inconclusive: left ``sending``
    answers_lost: int = 0  # chat.postMessage / webhook answers lost (5xx, reset, timeout, ...)
    lookups: int = 0  # conversations.history look-ups that settled them
    resent_unsure: int = 0  # webhook messages resent after a lost answer (at least once)
    failed: int = 0
    refused: int = 0  # refused for good (e.g. an address the mail server rejects): not retried
    held_for_review: int = 0  # deal scores waiting for a manager's review (ciw review)
    withheld_by_review: int = 0  # overridden below the alert's threshold: not sent
    waited_seconds: float = 0.0
    outbox_path: str | None = None
    channels: list[str] = field(default_factory=list)  # the channels this run delivered to
    planned: list[Message] = field(default_factory=list, repr=False)

    @property
    def messages(self) -> int:
        return sum(self.messages_by_kind.values())

    def summary(self) -> str:
        verb = "would send" if self.dry_run else ("wrote" if self.mode == "outbox" else "sent")
        kinds = ", ".join(
            f"{count} {kind}" for kind, count in sorted(self.messages_by_kind.items())
        )
        parts = [
            f"{verb} {self.messages} messages ({kinds or 'none'}) covering"
            f" {self.deliveries} alert deliveries"
            f" to {len(self.messages_by_destination)} destinations",
            f"{self.already_delivered} already delivered",
        ]
        if self.reconciled_sent or self.reconciled_resent:
            parts.append(
                f"reconciled {self.reconciled_sent + self.reconciled_resent} interrupted "
                f"({self.reconciled_sent} found in Slack, {self.reconciled_resent} resent)"
            )
        if self.answers_lost and self.mode == "bot":
            parts.append(
                f"{self.answers_lost} lost answers checked with {self.lookups} history look-ups"
            )
        if self.unknown or self.mode == "webhook":
            parts.append(
                f"{self.unknown} unknown (webhook answer lost or run interrupted; never resent)"
            )
        if self.resent_unsure:
            parts.append(
                f"{self.resent_unsure} webhook messages resent after a lost answer"
                " (SLACK_WEBHOOK_AMBIGUOUS=retry: at least once, possibly twice)"
            )
        if self.unsettled:
            parts.append(
                f"{self.unsettled} left sending (answer lost, look-up inconclusive):"
                " the next run reconciles them"
            )
        if self.failed:
            parts.append(f"{self.failed} refused (retried next run)")
        if self.refused:
            parts.append(f"{self.refused} refused for good (never retried; see the log's error)")
        if self.held_for_review or self.withheld_by_review:
            parts.append(
                f"{self.held_for_review} held for a manager's review (ciw review list),"
                f" {self.withheld_by_review} withheld after an override"
            )
        if self.outbox_path:
            parts.append(f"no Slack credentials: messages are in {self.outbox_path}")
        return "; ".join(parts)
