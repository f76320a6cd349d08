"""The CRM writeback as an asset after the scored marts it reads.

The daily pipeline materializes ``crm/salesforce_writeback`` once lead scores, account risk
scores and account health are built: it sends Salesforce what changed since the last
confirmed write (``ops.crm_writeback`` is the log). Without Salesforce credentials it says so
in its metadata and sends nothing. Logic lives in ``crm``.
"""

import dagster as dg

from orchestration.dbt import model_key
from orchestration.failures import step_failure
from orchestration.resources import WarehouseResource

CRM_GROUP = "crm"
CRM_WRITEBACK_KEY = dg.AssetKey(["crm", "salesforce_writeback"])
#: The marts the writeback reads.
CRM_SOURCE_MODELS = ("lead_scores", "account_risk_scores", "account_health")
#: Salesforce being down or over its limits is worth a few retries; bad credentials are not.
CRM_RETRY = dg.RetryPolicy(max_retries=3, delay=60, backoff=dg.Backoff.EXPONENTIAL)
#: Rows of the diff shown in the materialization's metadata.
PREVIEW_ROWS = 20


class CrmWritebackConfig(dg.Config):  # type: ignore[misc]
    """``dry_run`` puts the diff into the run's metadata and sends nothing."""

    dry_run: bool = False


@dg.asset(
    key=CRM_WRITEBACK_KEY,
    group_name=CRM_GROUP,
    deps=[model_key(name) for name in CRM_SOURCE_MODELS],
    retry_policy=CRM_RETRY,
    description="Lead scores and priorities, account churn risk scores and levels, and "
    "follow-up tasks for Critical leads and High-risk accounts, upserted into Salesforce: only "
    "values changed since the last confirmed write (ops.crm_writeback is the log). Without "
    "Salesforce credentials nothing is sent.",
)
def salesforce_writeback(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    config: CrmWritebackConfig,
) -> dg.MaterializeResult:
    from crm.config import CrmDown, CrmError
    from crm.push import push

    with step_failure(retried=CrmDown, final=CrmError):  # retried by CRM_RETRY
        report = push(warehouse.settings(), dry_run=config.dry_run)
    summary = report.summary()
    context.log.info(summary)
    plan = report.plan
    metadata: dict[str, object] = {
        "configured": report.configured,
        "dry_run": report.dry_run,
        "records": dg.MetadataValue.json(dict(report.records)),
        "field_values": sum(write.sobject != "Task" for write in plan.writes),
        "tasks": report.records["Task"],
        "written": dg.MetadataValue.json(dict(report.written)),
        "refused": dg.MetadataValue.json(dict(report.failed)),
        "unchanged": plan.unchanged,
        "superseded": len(plan.superseded),
        "in_flight": plan.in_flight,
        "requests": report.requests,
        "token_fetches": report.token_fetches,
        "waited_seconds": round(report.waited_seconds, 1),
        "summary": summary,
    }
    if report.errors:
        metadata["refusals"] = dg.MetadataValue.json(report.errors)
    rows = report.diff_rows()
    if rows:
        lines = [
            "| object | record | field | in the CRM | new | note |",
            "|---|---|---|---|---|---|",
        ]
        lines += [
            "| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |"
            for row in rows[:PREVIEW_ROWS]
        ]
        metadata["diff"] = dg.MetadataValue.md("\n".join(lines))
    return dg.MaterializeResult(metadata=metadata)  # type: ignore[arg-type]


def build_crm_defs() -> dg.Definitions:
    return dg.Definitions(assets=[salesforce_writeback])
