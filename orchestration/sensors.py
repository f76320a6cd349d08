"""Sensors: run failure → ops message to the on-call Slack channel (or the outbox file).

The message is built and sent by ``notifier.ops``; the sensor only wires it.
"""

import logging

import dagster as dg

from notifier.ops import build_ops_message

logger = logging.getLogger("ciw.ops")


@dg.run_failure_sensor(
    name="ops_message_on_run_failure",
    description="Sends an ops message to Slack (CIW_OPS_CHANNEL, else SLACK_DEFAULT_CHANNEL) for "
    "every failed run; to the local outbox file when no Slack credentials are set.",
    default_status=dg.DefaultSensorStatus.RUNNING,
    monitor_all_code_locations=False,
)
def ops_message_on_run_failure(context: dg.RunFailureSensorContext) -> None:
    failed_steps = [event.step_key for event in context.get_step_failure_events() if event.step_key]
    message = build_ops_message(
        job_name=context.dagster_run.job_name,
        run_id=context.dagster_run.run_id,
        failed_steps=failed_steps,
        error=context.failure_event.message,
    )
    context.log.warning(message)
    logger.warning(message)
    from notifier.config import NotifierError
    from notifier.ops import send_ops_message
    from warehouse.settings import Settings

    try:
        where = send_ops_message(Settings.from_env(), message, key=context.dagster_run.run_id)
    except NotifierError as error:  # Slack down or a bad token: the log line above remains
        logger.error("ops message not delivered: %s", error)
        return
    logger.info(where)


def build_sensor_defs() -> dg.Definitions:
    return dg.Definitions(sensors=[ops_message_on_run_failure])
