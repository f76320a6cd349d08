"""Every definition loads: a broken import or a bad wiring fails here, not in the UI."""

import json
from pathlib import Path

import dagster as dg
import pytest

from orchestration.dbt import LAYERS, MANIFEST_PATH
from orchestration.ingestion import raw_asset_key
from orchestration.schedules import (
    ALERT_DIGEST_CRON,
    DAILY_PIPELINE_CRON,
    MONTHLY_RETRAINING_CRON,
    WEEKLY_REPORT_CRON,
)
from sources.contract import raw_tables


@pytest.fixture(scope="module")
def repository() -> dg.RepositoryDefinition:
    from orchestration.definitions import defs

    dg.Definitions.validate_loadable(defs)
    return defs.get_repository_def()


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))


def _models(manifest: dict) -> dict[str, dict]:
    return {key: node for key, node in manifest["nodes"].items() if key.startswith("model.")}


def test_every_dbt_model_is_an_asset_grouped_by_layer(
    repository: dg.RepositoryDefinition, manifest: dict
) -> None:
    graph = repository.asset_graph
    by_name = {key.path[-1]: graph.get(key) for key in graph.get_all_asset_keys()}
    models = _models(manifest)
    assert models
    for node in models.values():
        asset = by_name[node["name"]]
        assert asset.group_name == node["fqn"][1]
        assert asset.group_name in LAYERS


def test_every_raw_table_is_an_asset_feeding_its_staging_model(
    repository: dg.RepositoryDefinition,
) -> None:
    graph = repository.asset_graph
    keys = graph.get_all_asset_keys()
    for table in raw_tables().values():
        raw_key = raw_asset_key(table.source, table.name)
        assert raw_key in keys
        assert graph.get(raw_key).group_name == "raw"
        assert graph.get(raw_key).is_materializable
        children = {child.path[-1] for child in graph.get(raw_key).child_keys}
        assert any(name.startswith(f"stg_{table.source}__") for name in children), raw_key


def test_dbt_tests_are_asset_checks_blocking_on_error(
    repository: dg.RepositoryDefinition, manifest: dict
) -> None:
    graph = repository.asset_graph
    checks = {key.name: graph.get_check_spec(key) for key in graph.asset_check_keys}
    model_tests = [
        node
        for key, node in manifest["nodes"].items()
        if key.startswith("test.") and node.get("attached_node", "").startswith("model.")
    ]
    assert model_tests
    for test in model_tests:
        spec = checks[test["name"]]
        assert spec.blocking == (test["config"]["severity"].lower() == "error")


def test_schedules_and_sensors(repository: dg.RepositoryDefinition) -> None:
    crons = {schedule.name: schedule for schedule in repository.schedule_defs}
    assert crons["daily_pipeline_schedule"].cron_schedule == DAILY_PIPELINE_CRON == "0 6 * * *"
    assert crons["weekly_executive_report_schedule"].cron_schedule == WEEKLY_REPORT_CRON
    assert WEEKLY_REPORT_CRON == "0 8 * * 1"
    assert crons["monthly_retraining_schedule"].cron_schedule == MONTHLY_RETRAINING_CRON
    assert {schedule.execution_timezone for schedule in crons.values()} == {"UTC"}
    assert crons["alert_digest_schedule"].cron_schedule == ALERT_DIGEST_CRON == "0 9 * * *"
    assert crons["daily_pipeline_schedule"].job_name == "daily_pipeline"
    assert len(crons) == 4
    sensors = {sensor.name: sensor for sensor in repository.sensor_defs}
    assert set(sensors) == {
        "ops_message_on_run_failure",
        "retraining_sensor",
        "ops_thresholds_sensor",
    }
    assert sensors["retraining_sensor"].job_name == "model_retraining"


def test_spark_runs_everything_but_the_delivery_steps(tmp_path: Path) -> None:
    """On Spark the daily and full jobs are the DuckDB ones without the steps that keep
    exactly-once logs (alert delivery, automations, CRM writeback), and the schedules run them."""
    from orchestration.alerts import NOTIFICATIONS_KEY
    from orchestration.automations import AUTOMATIONS_KEY
    from orchestration.crm import CRM_WRITEBACK_KEY
    from orchestration.definitions import build_definitions
    from orchestration.launch import daily_job
    from warehouse.settings import Settings

    settings = Settings(target="spark", spark_warehouse_dir=tmp_path / "wh")
    spark_defs = build_definitions(settings)
    duck_defs = build_definitions(Settings(target="duckdb", duckdb_path=tmp_path / "w.duckdb"))
    delivery = {NOTIFICATIONS_KEY, AUTOMATIONS_KEY, CRM_WRITEBACK_KEY}
    for train, job_name in ((True, "full_pipeline"), (False, "daily_pipeline")):
        job = daily_job(settings, train=train)
        assert job.name == f"{job_name}_spark"
        on_spark = set(job.asset_layer.asset_graph.executable_asset_keys)
        on_duckdb = set(
            duck_defs.resolve_job_def(job_name).asset_layer.asset_graph.executable_asset_keys
        )
        assert on_duckdb - on_spark == delivery
        assert on_spark < on_duckdb
    schedules = {s.name: s for s in spark_defs.get_repository_def().schedule_defs}
    assert schedules["daily_pipeline_schedule"].job_name == "daily_pipeline_spark"
    assert "alert_digest_schedule" not in schedules  # it delivers


def test_loads_and_dbt_retry_with_backoff(repository: dg.RepositoryDefinition) -> None:
    job = repository.get_job("daily_pipeline")
    for node in job.nodes:
        policy = node.definition.retry_policy  # type: ignore[attr-defined]
        assert policy is not None and policy.backoff == dg.Backoff.EXPONENTIAL, node.name


def test_raw_tables_carry_a_freshness_policy(repository: dg.RepositoryDefinition) -> None:
    graph = repository.asset_graph
    for table in raw_tables().values():
        assert graph.get(raw_asset_key(table.source, table.name)).freshness_policy is not None


def test_key_marts_carry_a_freshness_policy(repository: dg.RepositoryDefinition) -> None:
    graph = repository.asset_graph
    for mart in ("customer_profiles", "account_health"):
        assert graph.get(dg.AssetKey(["marts", mart])).freshness_policy is not None
    assert graph.get(dg.AssetKey(["marts", "pipeline_health"])).freshness_policy is None


def test_loading_does_not_parse_when_the_manifest_is_current(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from orchestration import manifest

    manifest.ensure_manifest()

    def fail(*_: object, **__: object) -> None:
        raise AssertionError("dbt parse ran although the manifest is current")

    monkeypatch.setattr(manifest, "parse_project", fail)
    assert not manifest.manifest_is_stale()
    assert manifest.ensure_manifest() == MANIFEST_PATH


def test_one_warehouse_writing_run_at_a_time(
    repository: dg.RepositoryDefinition, tmp_path: Path
) -> None:
    import yaml

    from orchestration.instance import INSTANCE_FILES, prepare_dagster_home
    from orchestration.resources import WAREHOUSE_WRITER_TAGS

    for name in ("daily_pipeline", "full_pipeline", "model_retraining", "alert_digest"):
        assert repository.get_job(name).tags.items() >= WAREHOUSE_WRITER_TAGS.items(), name
    [(key, value)] = WAREHOUSE_WRITER_TAGS.items()
    for path in INSTANCE_FILES.values():
        limits = yaml.safe_load(path.read_text())["concurrency"]["runs"]
        assert {"key": key, "value": value, "limit": 1} in limits["tag_concurrency_limits"]
    instance = dg.DagsterInstance.from_config(str(prepare_dagster_home(tmp_path, "sqlite")))
    queue = instance.get_concurrency_config().run_queue_config
    assert {"key": key, "value": value, "limit": 1} in queue.tag_concurrency_limits


def test_the_daily_job_scores_with_the_champions_and_the_full_job_also_trains(
    repository: dg.RepositoryDefinition,
) -> None:
    from ml.contracts import MODEL_SPECS
    from orchestration.ml import PREDICTIONS_KEY, model_asset_key, training_set_key

    def keys(job_name: str) -> set[dg.AssetKey]:
        graph = repository.get_job(job_name).asset_layer.asset_graph
        return set(graph.executable_asset_keys)

    training = {model_asset_key(name) for name in MODEL_SPECS} | {
        training_set_key(name) for name in MODEL_SPECS
    }
    daily, full = keys("daily_pipeline"), keys("full_pipeline")
    assert not training & daily
    assert training <= full
    assert full - daily == training
    assert PREDICTIONS_KEY in daily


def test_in_the_daily_job_scoring_waits_for_the_feature_store(
    repository: dg.RepositoryDefinition,
) -> None:
    """Without training in the job, scoring must still run after Feast has the new day."""
    from orchestration.ml import FEATURE_STORE_KEY, PREDICTIONS_KEY

    graph = repository.get_job("daily_pipeline").asset_layer.asset_graph
    assert FEATURE_STORE_KEY in graph.get(PREDICTIONS_KEY).parent_keys


def test_a_warehouse_trains_until_every_model_has_had_a_training(tmp_path: Path) -> None:
    import json

    from ml.contracts import MODEL_SPECS
    from ml.registry import registry_root
    from ml.selection import last_training_path
    from orchestration.launch import needs_training
    from warehouse.settings import Settings

    settings = Settings(duckdb_path=tmp_path / "w.duckdb", artifacts_root=tmp_path / "artifacts")
    assert needs_training(settings)
    names = list(MODEL_SPECS)
    for name in names[:-1]:
        path = last_training_path(registry_root(settings), name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"trained": False, "reason": "too little history"}))
    assert needs_training(settings)  # one model never tried
    path = last_training_path(registry_root(settings), names[-1])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"trained": True}))
    assert not needs_training(settings)
