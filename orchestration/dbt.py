"""dbt models as assets, dbt tests as asset checks (error severity blocks downstream)."""

import json
import os
from collections.abc import Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject, dbt_assets

from ml.contracts import ML_SCHEMA
from orchestration.ingestion import raw_asset_key
from orchestration.manifest import MANIFEST_TARGET, ensure_manifest
from orchestration.partitions import DAILY_PARTITIONS, run_as_of
from orchestration.resources import WarehouseDbtCliResource, temporary_environment
from warehouse.dbt import PARTIAL_PARSE_FILE, copy_partial_parse, pipeline_target_path
from warehouse.paths import DBT_PROJECT_DIR
from warehouse.settings import dbt_vars_from_env

LAYERS = ("staging", "intermediate", "features", "marts")

#: dbt reaches the warehouse over the network on Postgres: retry with backoff, but only when the
#: failure looks transient (see ``is_transient_failure``); a SQL or test error fails at once.
DBT_RETRY = dg.RetryPolicy(max_retries=2, delay=15, backoff=dg.Backoff.EXPONENTIAL)

#: Phrases of failures that a later attempt can cure: the warehouse was briefly out of reach.
TRANSIENT_MARKERS = (
    "could not connect",
    "connection refused",
    "connection timed out",
    "server closed the connection",
    "terminating connection",
    "could not translate host name",
    "the database system is starting up",
    "too many clients",
    "could not set lock",
)

#: Marts the on-call engineer must see fresh every morning; checked once they exist.
KEY_MARTS = ("customer_profiles", "customer_risk_scores", "account_health", "alerts")
MART_FRESHNESS = dg.FreshnessPolicy.time_window(
    fail_window=timedelta(hours=48), warn_window=timedelta(hours=26)
)

DBT_PROJECT = DbtProject(project_dir=DBT_PROJECT_DIR, target_path=MANIFEST_TARGET)
MANIFEST_PATH = ensure_manifest()


def layer_group(dbt_resource_props: Mapping[str, Any]) -> str | None:
    """The asset group of a dbt resource: its layer folder, else its resource type."""
    fqn = list(dbt_resource_props.get("fqn", []))
    if dbt_resource_props.get("resource_type") == "model" and len(fqn) > 1 and fqn[1] in LAYERS:
        return str(fqn[1])
    resource_type = dbt_resource_props.get("resource_type")
    return {"snapshot": "snapshots", "seed": "seeds"}.get(str(resource_type), "dbt_other")


class LayerTranslator(DagsterDbtTranslator):
    """Groups follow the dbt layers; dbt sources are the raw-load assets."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props.get("resource_type") == "source":
            if dbt_resource_props["source_name"] == ML_SCHEMA:  # written by the scoring asset
                return dg.AssetKey([ML_SCHEMA, dbt_resource_props["name"]])
            return raw_asset_key(dbt_resource_props["source_name"], dbt_resource_props["name"])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return layer_group(dbt_resource_props)

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        if unique_id.startswith("model.") and spec.key.path[-1] in KEY_MARTS:
            return dg.apply_freshness_policy(spec, MART_FRESHNESS)
        return spec


TRANSLATOR = LayerTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


class DbtBuildConfig(dg.Config):  # type: ignore[misc]
    """``as_of_date`` (YYYY-MM-DD) makes the run count only data before that date; unset, the
    run's daily partition is the as-of date."""

    as_of_date: str | None = None


def is_transient_failure(messages: list[str]) -> bool:
    """True when dbt's error messages say the warehouse was out of reach, not that SQL failed."""
    text = "\n".join(messages).lower()
    return any(marker in text for marker in TRANSIENT_MARKERS)


def _error_messages(invocation: Any) -> list[str]:
    try:
        results = invocation.get_artifact("run_results.json").get("results", [])
    except Exception:  # no run_results: dbt stopped before running anything
        return [str(invocation.get_error() or "")]
    return [
        str(result.get("message") or "")
        for result in results
        if result.get("status") in ("error", "fail", "runtime error")
    ]


#: dbt's unit tests check the SQL's logic on fixed inputs, not the day's data: as dbt advises,
#: they run in CI (tests/dbt/test_unit_tests.py) and in an engineer's own ``dbt build``, not in
#: the scheduled pipeline. ``CIW_DBT_UNIT_TESTS=1`` puts them back into pipeline runs.
UNIT_TESTS_ENV = "CIW_DBT_UNIT_TESTS"


#: The run's as-of date reaches dbt in this environment variable (macro ``as_of_date_value``),
#: not in ``--vars``: dbt re-parses the whole project when the vars change, as they would every
#: day, and a daily run would pay a full parse (10-20 s) in each of its two dbt steps.
AS_OF_DATE_ENV = "CIW_AS_OF_DATE"


def dbt_build_args() -> list[str]:
    """``dbt build`` with the horizons and other vars set in the environment (the same every
    day, so dbt's partial parse stays valid); the as-of date goes in :data:`AS_OF_DATE_ENV`."""
    args = ["build"]
    if os.environ.get(UNIT_TESTS_ENV, "").strip().lower() not in ("1", "true", "yes"):
        args += ["--exclude-resource-type", "unit_test"]
    dbt_vars = dict(dbt_vars_from_env())
    if dbt_vars:
        args += ["--vars", json.dumps(dbt_vars, sort_keys=True)]
    return args


def keep_partial_parse(invocation_target: Path, runs_root: Path) -> bool:
    """Save a finished invocation's partial parse for the next one; True when one was saved."""
    produced = invocation_target / PARTIAL_PARSE_FILE
    if not produced.is_file():
        return False
    copy_partial_parse(produced, runs_root)
    return True


#: Models that read the ML scores (and everything downstream of them, such as the alerts mart)
#: run after scoring: a second dbt step, so the graph stays dbt -> ML -> dbt without a cycle.
SCORED_SELECTION = "tag:scored+"


def _build(
    context: dg.AssetExecutionContext, dbt: WarehouseDbtCliResource, config: DbtBuildConfig
) -> Iterator[Any]:
    as_of = run_as_of(context, config.as_of_date)  # the config's date, else the partition's
    # dbt's process takes its environment when it starts, inside ``cli``.
    with temporary_environment({AS_OF_DATE_ENV: as_of}):
        invocation = dbt.cli(dbt_build_args(), context=context, raise_on_error=False)
    try:
        # Each model's materialization and each test's check result is an event already; a
        # log line per model besides would be one more stored event per model.
        yield from invocation.stream()
    finally:
        if invocation.process.poll() is None:  # never leave a dbt process holding the warehouse
            invocation.process.terminate()
    if invocation.is_successful():
        keep_partial_parse(invocation.target_path, pipeline_target_path())
        return
    messages = _error_messages(invocation)
    if is_transient_failure(messages):
        raise invocation.get_error() or dg.Failure("dbt build failed; retrying")
    failures = [message.splitlines()[0] for message in messages if message][:5]
    raise dg.Failure(
        description="dbt build failed: " + ("; ".join(failures) or "see the dbt log"),
        allow_retries=False,
    )


def _dbt_build_assets(
    name: str, *, select: str = "fqn:*", exclude: str = ""
) -> dg.AssetsDefinition:
    """The dbt models ``select`` picks less those ``exclude`` picks, built by ``_build``."""

    @dbt_assets(
        manifest=MANIFEST_PATH,
        project=DBT_PROJECT,
        dagster_dbt_translator=TRANSLATOR,
        name=name,
        retry_policy=DBT_RETRY,
        partitions_def=DAILY_PARTITIONS,
        select=select,
        exclude=exclude,
    )
    def build(
        context: dg.AssetExecutionContext, dbt: WarehouseDbtCliResource, config: DbtBuildConfig
    ) -> Iterator[Any]:
        yield from _build(context, dbt, config)

    return build


dbt_models = _dbt_build_assets("dbt_models", exclude=SCORED_SELECTION)
dbt_scored_models = _dbt_build_assets("dbt_scored_models", select=SCORED_SELECTION)


def model_key(model_name: str) -> dg.AssetKey:
    """The asset key of a dbt model, for Python assets downstream of dbt."""
    for assets in (dbt_models, dbt_scored_models):
        for key in assets.keys:
            if key.path[-1] == model_name:
                return key
    raise KeyError(f"no dbt model named {model_name!r} in the manifest")


def build_dbt_defs() -> dg.Definitions:
    return dg.Definitions(assets=[dbt_models, dbt_scored_models])
