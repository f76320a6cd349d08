"""Marketing automations as an asset after the alerts and their delivery (logic in
``automations``): the enabled rules of seed automation_rules against the latest marts."""

import dagster as dg

from orchestration.alerts import ALERTS_GROUP, NOTIFICATIONS_KEY
from orchestration.dbt import model_key
from orchestration.failures import step_failure
from orchestration.resources import WarehouseResource

AUTOMATIONS_KEY = dg.AssetKey(["alerts", "automations"])
#: A warehouse hiccup is worth a retry; a rerun is safe: the run log skips what already ran
#: (a failed action - the marketing tool down - is logged and retried on the next run instead).
AUTOMATIONS_RETRY = dg.RetryPolicy(max_retries=2, delay=30, backoff=dg.Backoff.EXPONENTIAL)


class AutomationsConfig(dg.Config):  # type: ignore[misc]
    """``dry_run`` lists what would run in the run's metadata and acts on nothing."""

    dry_run: bool = False


@dg.asset(
    key=AUTOMATIONS_KEY,
    group_name=ALERTS_GROUP,
    retry_policy=AUTOMATIONS_RETRY,
    deps=[
        NOTIFICATIONS_KEY,
        model_key("customer_journey"),
        model_key("customer_product_intent"),
        model_key("automation_rules"),
    ],
    description="The marketing automation rules (seed automation_rules) run against the latest "
    "marts: messages through the notifier, segment updates, signed campaign webhooks; each "
    "execution logged in ops.automation_runs, once per rule and customer in 24 hours.",
)
def automations(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, config: AutomationsConfig
) -> dg.MaterializeResult:
    from automations.engine import run_automations
    from automations.rules import RuleError

    with step_failure(final=RuleError):
        report = run_automations(warehouse.settings(), dry_run=config.dry_run)
    context.log.info(report.summary())
    metadata: dict[str, object] = {
        "dry_run": report.dry_run,
        "rules_run": report.rules_run,
        "executed": sum(report.executed.values()),
        "failed": sum(report.failed.values()),
        "skipped_duplicates": sum(report.duplicates.values()),
        "matched_by_rule": dg.MetadataValue.json(dict(report.matched)),
        "errors": dg.MetadataValue.json(report.errors[:10]),
        "summary": report.summary(),
    }
    return dg.MaterializeResult(metadata=metadata)  # type: ignore[arg-type]


def build_automation_defs() -> dg.Definitions:
    return dg.Definitions(assets=[automations])
