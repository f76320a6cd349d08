"""The ops-threshold sensor reads real Dagster run records and reports each breach once."""

import json
from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest

from ml.monitoring.ops_metrics import OPS_ALERTS_TABLE
from orchestration.ops_thresholds import ops_thresholds_sensor, pipeline_runs
from orchestration.resources import WarehouseResource
from tests.ml.monitoring.quality_rows import write_quality_row
from warehouse import read_frame
from warehouse.settings import Settings


@dg.op(config_schema={"fail": bool})
def step(context: dg.OpExecutionContext) -> None:
    if context.op_config["fail"]:
        raise RuntimeError("planted failure")


@dg.job(name="daily_pipeline")
def stand_in_daily_pipeline() -> None:
    step()


def _run(instance: dg.DagsterInstance, *, fail: bool) -> None:
    stand_in_daily_pipeline.execute_in_process(
        instance=instance,
        run_config={"ops": {"step": {"config": {"fail": fail}}}},
        raise_on_error=False,
    )


def test_pipeline_runs_are_read_from_the_instance(instance: dg.DagsterInstance) -> None:
    _run(instance, fail=False)
    _run(instance, fail=True)
    runs = pipeline_runs(instance, datetime.now(UTC).replace(tzinfo=None) - timedelta(days=1))
    assert sorted(run.status for run in runs) == ["failure", "success"]
    assert all(run.job_name == "daily_pipeline" and run.ended_at is not None for run in runs)
    assert all(run.started_at is not None and run.started_at <= run.ended_at for run in runs)  # type: ignore[operator]


def _evaluate(settings: Settings, instance: dg.DagsterInstance) -> str:
    context = dg.build_sensor_context(
        instance=instance, resources={"warehouse": WarehouseResource.from_settings(settings)}
    )
    result = ops_thresholds_sensor(context)
    assert isinstance(result, dg.SkipReason)
    return result.skip_message or ""


def test_a_breach_is_reported_to_the_ops_outbox_once(
    settings: Settings, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("SLACK_BOT_TOKEN", "SLACK_WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)
    _run(instance, fail=True)  # one run, failed: 100 % failure rate
    write_quality_row(settings, "surveys.responses", datetime.now(UTC).date(), 93.0, 99.0)

    first = _evaluate(settings, instance)
    assert "pipeline_failure_rate pipeline runs" in first
    assert "data_quality surveys.responses" in first
    outbox = next((settings.artifacts_dir / "outbox").glob("ops-*.jsonl"))
    texts = [json.loads(line)["text"] for line in outbox.read_text().splitlines()]
    assert any("1 of 1 runs failed" in text for text in texts)
    assert any("completeness 93.0%" in text for text in texts)

    second = _evaluate(settings, instance)
    assert "0 newly reported" in second
    assert len(outbox.read_text().splitlines()) == len(texts)
    keys = read_frame(settings, f"select alert_key from {OPS_ALERTS_TABLE}")["alert_key"]
    assert keys.is_unique and len(keys) == len(texts)
