"""The whole pipeline on Spark (`ciw run --target spark`): every model and both snapshots build
on a local Spark session (contracts enforced), every dbt test passes there as an asset check,
the models are trained and score, and every relation - the scored marts and the alerts
included - holds the same rows as on DuckDB run from the same exports. The
incremental models and snapshots were first built by a run four days earlier on both, so the
build updates them incrementally (delete+insert, pruning of the dates the spine left,
append, a second snapshot) and the comparison covers those strategies too.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pandas as pd
import pytest

from tests.dbt.dbt_logs import cache_misses_on_nodes, sources_read_as_missing
from tests.spark.warehouses import (
    AS_OF,
    FIRST_AS_OF,
    LAYER_MODELS,
    MODEL_OUTPUT_TOLERANCE,
    MODEL_OUTPUTS,
    REBUILT_GRID_DATE,
    SNAPSHOTS,
    row_differences,
)
from warehouse import read_frame

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("spark")]

#: Relations empty on DuckDB too, so their comparison says little: 120 customers raise no alert
#: of these types on the run's date, and no alert has feedback or was reopened. The test
#: fails when one gains rows.
EMPTY_ON_SMALL_POPULATION = {
    "intermediate.int_alert_candidates_cart_abandonment",
    "intermediate.int_alert_candidates_data_quality_breach",
    "intermediate.int_alert_candidates_rep_performance",
    "intermediate.int_alert_candidates_win_rate_decline",
    "marts.alert_feedback_summary",
    "marts.alert_reopened",
    "marts.deal_review_override_rate",
    "marts.deal_review_queue",
}


#: Tables the first run's delivery steps create, after its dbt steps read them as empty.
MISSING_ON_BOTH = {"ops.alert_events", "ops.alert_feedback", "ops.deal_score_reviews"}


def _summary(output: str) -> dict[str, int]:
    """dbt's closing counts (`Done. PASS=.. WARN=.. ERROR=.. SKIP=..`)."""
    done = re.search(r"Done\. (.*)", output)
    assert done, output[-2000:]
    return {key: int(value) for key, value in re.findall(r"([A-Z-]+)=(\d+)", done.group(1))}


def test_the_whole_pipeline_runs_on_spark(both_warehouses: dict[str, Any]) -> None:
    """`ciw run --target spark` completes: every model and snapshot built (contracts checked
    as each is created), scored and alerted, and says what a Spark run leaves out."""
    printed = both_warehouses["outputs"]["spark"]["pipeline"]
    assert "pipeline succeeded" in printed, printed[-3000:]
    failures = [
        line for line in printed.splitlines() if line.startswith(("failed", "check failed"))
    ]
    assert failures == [], printed[-3000:]
    assert "on Spark the run ends at marts.alerts" in printed
    assert len(LAYER_MODELS) >= 90 and len(SNAPSHOTS) == 2
    assert set(LAYER_MODELS) | set(SNAPSHOTS) <= set(both_warehouses["spark"])


def test_every_check_ends_on_spark_as_on_duckdb(both_warehouses: dict[str, Any]) -> None:
    """Every asset check of the run (the dbt tests, the drift and performance checks) ends on
    Spark as on DuckDB: the same ones pass, and the same ones warn - the generated exports'
    dirty rows (orphans, future timestamps) that the warn-level tests report on both."""
    spark, duck = both_warehouses["checks"]["spark"], both_warehouses["checks"]["duckdb"]
    assert len(spark["passed"]) >= 500
    assert sorted(spark["failed"]) == sorted(duck["failed"])
    assert set(spark["passed"]) <= set(duck["passed"])
    assert len(set(duck["passed"]) - set(spark["passed"])) <= 5  # the delivery steps' own


def test_no_model_on_either_warehouse_takes_a_raw_table_for_missing(
    both_warehouses: dict[str, Any],
) -> None:
    """Every source schema is looked up before the models compile (macro
    cache_source_schemas), on both warehouses and in every dbt step of the run: no worker
    thread lists one, so none can find its raw table half-cached and stage it as empty."""
    for target, folder in both_warehouses["dbt_targets"].items():
        assert cache_misses_on_nodes(folder) == [], target
        assert sources_read_as_missing(folder) <= MISSING_ON_BOTH, target
    assert len(both_warehouses["spark"]["stg_crm__contacts"]) > 0  # staging by table name


def test_the_screen_shows_no_jvm_start_up_lines(both_warehouses: dict[str, Any]) -> None:
    """`ciw load` and `ciw run` on Spark start JVMs (the project's session, dbt-spark's); their
    start-up notes go to Spark's log, and Spark prints no default-log-level note."""
    outputs = both_warehouses["outputs"]["spark"]
    for command in ("load", "pipeline"):
        assert "Using incubator modules" not in outputs[command], command
        assert "Setting default log level" not in outputs[command], command


def test_the_runs_dbt_steps_start_no_jvm_of_their_own(both_warehouses: dict[str, Any]) -> None:
    """`ciw run` serves its own driver over Spark Connect and its dbt steps are its clients:
    a dbt step with a session of its own starts a JVM, whose start-up note dbt's output
    (which the run's log keeps) would show once per step."""
    tmp = both_warehouses["dbt_targets"]["spark"].parent
    (log,) = (tmp / "artifacts_spark" / "logs").glob("run-*.log")
    text = log.read_text(encoding="utf-8")
    assert "dbt_models" in text and "dbt_scored_models" in text
    assert "Using incubator modules" not in text
    assert "UserWarning" not in text


@pytest.mark.parametrize("relation", [*LAYER_MODELS, *SNAPSHOTS])
def test_rows_on_spark_equal_duckdb(both_warehouses: dict[str, Any], relation: str) -> None:
    duck = both_warehouses["duckdb"][relation]
    spark = both_warehouses["spark"][relation]
    assert (len(duck) == 0) == (relation in EMPTY_ON_SMALL_POPULATION), len(duck)
    tolerance = MODEL_OUTPUT_TOLERANCE if relation in MODEL_OUTPUTS else 1e-6
    assert row_differences(duck, spark, relative=tolerance) == []


def test_incremental_models_add_and_prune_as_of_dates_on_spark(
    both_warehouses: dict[str, Any],
) -> None:
    """The build's date is added to a delete+insert model and the earlier run's date (its
    latest then, off the spine's grid) is pruned, on Spark as on DuckDB; the rest of the rows
    are compared above."""
    for target in ("duckdb", "spark"):
        features = both_warehouses[target]["features.customer_order_features"]
        dates = set(pd.to_datetime(features["as_of_date"]))
        assert pd.Timestamp(AS_OF) in dates and pd.Timestamp(FIRST_AS_OF) not in dates, target
    earlier = both_warehouses["outputs"]["spark"]["earlier"]
    assert "7 incremental models" in earlier and _summary(earlier)["ERROR"] == 0


#: The point-in-time tables: every feature and label model and the journey stages.
POINT_IN_TIME = tuple(
    relation
    for relation in LAYER_MODELS
    if relation.startswith("features.") or relation == "intermediate.int_customer_journey_stages"
)


def _describe(both_warehouses: dict[str, Any], relation: str) -> dict[str, str]:
    """`describe table extended` of a Spark relation: each row's name and value, the last
    partition column under `partition`."""
    rows = read_frame(both_warehouses["settings"]["spark"], f"describe table extended {relation}")
    described: dict[str, str] = {}
    section = "columns"
    for name, value in zip(rows["col_name"].fillna(""), rows["data_type"].fillna(""), strict=True):
        if name == "# Partition Information":
            section = "partitions"
        elif name.startswith("# Detailed"):
            section = "details"
        elif section == "partitions" and name and not name.startswith("#"):
            described["partition"] = name
        elif section == "details":
            described[name] = value
    return described


def test_point_in_time_tables_on_spark_are_partitioned_by_as_of_date(
    both_warehouses: dict[str, Any],
) -> None:
    """Every feature, label and journey-stage table is partitioned by as-of date on Spark and
    overwrites only the partitions a statement writes (its own option, not the session's)."""
    for relation in POINT_IN_TIME:
        described = _describe(both_warehouses, relation)
        assert described.get("partition") == "as_of_date", (relation, described)
        assert "partitionOverwriteMode=dynamic" in described["Storage Properties"], relation


@pytest.mark.parametrize(
    "relation", ["features.customer_order_features", "features.account_adoption_features"]
)
def test_a_run_on_spark_rewrites_only_the_partitions_of_the_dates_it_builds(
    both_warehouses: dict[str, Any], relation: str
) -> None:
    """After the earlier run, `ciw run` four days later writes its new date's partition and
    rewrites the grid date within the late-arriving lookback (keyed by the date, or by the
    account and the date), drops the earlier run's date (off the spine's grid) and leaves the
    files of every other date as the earlier run wrote them: it no longer rewrites the whole
    table."""
    location = Path(urlparse(_describe(both_warehouses, relation)["Location"]).path)
    started = float(both_warehouses["outputs"]["spark"]["pipeline_started"])
    written: dict[str, float] = {}
    for partition in location.glob("as_of_date=*"):
        files = [path.stat().st_mtime for path in partition.glob("*.parquet")]
        assert files, partition
        written[partition.name.removeprefix("as_of_date=")] = max(files)
    assert FIRST_AS_OF not in written
    assert written.pop(AS_OF) > started and written.pop(REBUILT_GRID_DATE) > started
    kept = {date for date, mtime in written.items() if mtime < started}
    assert len(written) >= 20 and kept == set(written), sorted(set(written) - kept)
