"""The day's scored results as dated files (``reports.daily_files``), after the scored marts."""

import dagster as dg

from orchestration.dbt import model_key
from orchestration.resources import WarehouseResource

EXPORTS_GROUP = "exports"
#: The marts the files hold; the asset runs once they are built.
EXPORTED_MODELS = (
    "lead_scores",
    "pipeline_health",
    "account_risk_scores",
    "deal_risk_scores",
    "pipeline_forecast",
    "kpi_anomalies",
)


@dg.asset(
    group_name=EXPORTS_GROUP,
    # A Postgres warehouse or a network share can fail for a moment: retry, backing off.
    retry_policy=dg.RetryPolicy(max_retries=2, delay=10, backoff=dg.Backoff.EXPONENTIAL),
    deps=[model_key(name) for name in EXPORTED_MODELS],
    description="The day's results as dated files for systems that read files:"
    " <artifacts>/results/<dataset>/year=YYYY/month=MM/day=DD/results.json and .parquet"
    " (a rerun replaces the day's files).",
)
def daily_result_files(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    from reports.daily_files import export_daily_results

    written = export_daily_results(warehouse.settings())
    for item in written:
        context.log.info(f"{item.dataset}: {item.rows} rows -> {item.json_path}")
    return dg.MaterializeResult(
        metadata={
            "datasets": len(written),
            "rows": sum(item.rows for item in written),
            **{f"rows_{item.dataset}": item.rows for item in written},
            **(
                {"folder": dg.MetadataValue.path(str(written[0].json_path.parent.parent.parent))}
                if written
                else {}
            ),
        }
    )


def build_export_defs() -> dg.Definitions:
    return dg.Definitions(assets=[daily_result_files])
