"""The Slack notifier as an asset after the dbt alerts mart, and the digest catch-up job.

Split: the daily pipeline materializes ``alerts/slack_notifications`` right after the alerts
mart, sending critical alerts one by one and each recipient's digest of the rest. The
``alert_digest`` job runs the same asset alone on its own schedule (``orchestration.schedules``,
09:00 UTC): it sends
whatever is still pending - digests or critical alerts that Slack refused or could not take at
06:00 - and nothing twice, since the delivery log decides. Logic lives in ``notifier``.
"""

import dagster as dg

from orchestration.dbt import model_key
from orchestration.failures import step_failure
from orchestration.resources import WarehouseResource, warehouse_writer_job

ALERTS_GROUP = "alerts"
NOTIFICATIONS_KEY = dg.AssetKey(["alerts", "slack_notifications"])

#: Slack being down is worth a few retries; a bad token or a missing mart is not.
SLACK_RETRY = dg.RetryPolicy(max_retries=3, delay=60, backoff=dg.Backoff.EXPONENTIAL)


class SlackNotificationsConfig(dg.Config):  # type: ignore[misc]
    """``dry_run`` renders the messages into the run's metadata and sends nothing."""

    dry_run: bool = False


@dg.asset(
    key=NOTIFICATIONS_KEY,
    group_name=ALERTS_GROUP,
    deps=[model_key("alerts")],
    retry_policy=SLACK_RETRY,
    description="Pending alerts delivered exactly once to Slack, and to Teams and email when "
    "configured: immediate alerts at once, daily and weekly digests per recipient "
    "(ops.alert_deliveries is the log). Without Slack credentials the Slack messages go to the "
    "outbox file under the artifacts directory.",
)
def slack_notifications(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    config: SlackNotificationsConfig,
) -> dg.MaterializeResult:
    from notifier.config import NotifierError, SlackDown
    from notifier.delivery import deliver_pending

    with step_failure(retried=SlackDown, final=NotifierError):  # retried by SLACK_RETRY
        report = deliver_pending(warehouse.settings(), dry_run=config.dry_run)
    context.log.info(report.summary())
    metadata: dict[str, object] = {
        "mode": report.mode,
        "dry_run": report.dry_run,
        "alerts_considered": report.alerts_considered,
        "messages": report.messages,
        "immediate_messages": report.messages_by_kind.get("immediate", 0),
        "digest_messages": report.messages_by_kind.get("digest", 0),
        "deliveries": report.deliveries,
        "already_delivered": report.already_delivered,
        "reconciled": report.reconciled_sent + report.reconciled_resent,
        "unknown": report.unknown,
        "answers_lost": report.answers_lost,
        "history_lookups": report.lookups,
        "resent_after_lost_answer": report.resent_unsure,
        "failed": report.failed,
        "refused_for_good": report.refused,
        "channels": ", ".join(report.channels),
        "waited_seconds": round(report.waited_seconds, 1),
        "destinations": dg.MetadataValue.json(dict(report.messages_by_destination)),
        "summary": report.summary(),
    }
    if report.outbox_path:
        metadata["outbox"] = dg.MetadataValue.path(report.outbox_path)
    return dg.MaterializeResult(metadata=metadata)  # type: ignore[arg-type]


alert_digest_job = warehouse_writer_job(
    "alert_digest",
    selection=dg.AssetSelection.assets(NOTIFICATIONS_KEY),
    description="Send the alerts still pending (digests and critical alerts Slack could not "
    "take during the daily pipeline); the delivery log keeps it exactly once.",
)


def build_alert_defs() -> dg.Definitions:
    return dg.Definitions(assets=[slack_notifications], jobs=[alert_digest_job])
