"""Pure helpers: ops message, layer groups, dbt arguments, run config, instance choice."""

from datetime import date
from pathlib import Path

import pytest

from orchestration.dbt import dbt_build_args, layer_group
from orchestration.instance import prepare_dagster_home, storage_kind
from orchestration.launch import pipeline_run_config, ui_command
from warehouse.settings import DBT_VAR_ENVIRONMENT, SettingsError


@pytest.mark.parametrize(
    ("props", "group"),
    [
        ({"resource_type": "model", "fqn": ["ci", "staging", "crm", "stg_crm__users"]}, "staging"),
        ({"resource_type": "model", "fqn": ["ci", "intermediate", "int_x"]}, "intermediate"),
        ({"resource_type": "model", "fqn": ["ci", "features", "f"]}, "features"),
        ({"resource_type": "model", "fqn": ["ci", "marts", "alerts"]}, "marts"),
        ({"resource_type": "snapshot", "fqn": ["ci", "crm_accounts_snapshot"]}, "snapshots"),
        ({"resource_type": "seed", "fqn": ["ci", "country_codes"]}, "seeds"),
        ({"resource_type": "model", "fqn": ["ci", "scratch", "x"]}, "dbt_other"),
    ],
)
def test_translator_maps_dbt_folders_to_groups(props: dict, group: str) -> None:
    assert layer_group(props) == group


def test_translator_maps_sources_to_raw_assets() -> None:
    from orchestration.dbt import TRANSLATOR

    key = TRANSLATOR.get_asset_key(
        {"resource_type": "source", "source_name": "crm", "name": "accounts"}
    )
    assert key.path == ["raw", "crm", "accounts"]


def test_dbt_build_args_keep_the_vars_the_same_every_day(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The as-of date is not a var (a new var each day would make dbt re-parse everything)."""
    monkeypatch.delenv("CIW_DBT_UNIT_TESTS", raising=False)
    for name in DBT_VAR_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    no_units = ["--exclude-resource-type", "unit_test"]
    assert dbt_build_args() == ["build", *no_units]
    monkeypatch.setenv("CIW_CHURN_HORIZON_DAYS", "90")
    assert dbt_build_args() == ["build", *no_units, "--vars", '{"churn_horizon_days": 90}']


def test_pipeline_runs_leave_dbt_unit_tests_to_ci_unless_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in DBT_VAR_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CIW_DBT_UNIT_TESTS", "1")
    assert dbt_build_args() == ["build"]


def test_a_finished_invocations_partial_parse_is_kept_for_the_next(tmp_path: Path) -> None:
    from orchestration.dbt import PARTIAL_PARSE_FILE, keep_partial_parse

    invocation, runs_root = tmp_path / "dbt_models-abc-123", tmp_path / "runs"
    invocation.mkdir()
    assert not keep_partial_parse(invocation, runs_root)  # dbt wrote none: nothing to keep
    (invocation / PARTIAL_PARSE_FILE).write_bytes(b"state")
    assert keep_partial_parse(invocation, runs_root)
    assert (runs_root / PARTIAL_PARSE_FILE).read_bytes() == b"state"
    assert [path.name for path in runs_root.iterdir()] == [PARTIAL_PARSE_FILE]


def test_pipeline_run_config(tmp_path: Path) -> None:
    config = pipeline_run_config(tmp_path, date(2026, 3, 1))
    ops = config["ops"]
    assert ops["dbt_models"]["config"]["as_of_date"] == "2026-03-01"
    assert ops["load_crm"]["config"]["exports_dir"] == str(tmp_path.resolve())
    assert ops["dbt_scored_models"]["config"]["as_of_date"] == "2026-03-01"
    assert set(pipeline_run_config(None, None)["ops"]) == {"dbt_models", "dbt_scored_models"}


def test_ui_command_runs_dagster_dev_on_the_definitions() -> None:
    command = ui_command(3100)
    assert Path(command[0]).name == "dagster"
    assert command[1:4] == ["dev", "-m", "orchestration.definitions"]
    assert command[-2:] == ["--port", "3100"]


def test_storage_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CIW_DAGSTER_STORAGE", raising=False)
    assert storage_kind() == "sqlite"
    monkeypatch.setenv("CIW_DAGSTER_STORAGE", "Postgres")
    assert storage_kind() == "postgres"
    with pytest.raises(SettingsError):
        storage_kind("mysql")


def test_prepare_dagster_home_copies_the_chosen_instance_file(tmp_path: Path) -> None:
    home = prepare_dagster_home(tmp_path / "home", "postgres")
    assert "postgres_db" in (home / "dagster.yaml").read_text()
    prepare_dagster_home(home, "sqlite")
    assert "postgres" not in (home / "dagster.yaml").read_text().split("telemetry")[1]


def test_only_unreachable_warehouse_failures_are_retried() -> None:
    from orchestration.dbt import is_transient_failure

    assert is_transient_failure(["could not connect to server: Connection refused"])
    assert is_transient_failure(["FATAL: terminating connection due to administrator command"])
    assert not is_transient_failure(['Binder Error: Referenced column "x" not found'])
    assert not is_transient_failure(["Got 3 results, configured to fail if != 0"])
    assert not is_transient_failure([])


def test_old_dbt_run_folders_are_pruned(tmp_path: Path) -> None:
    import os

    from orchestration.resources import prune_dbt_run_folders

    for index in range(5):
        folder = tmp_path / f"dbt_models-run{index}-abc"
        folder.mkdir()
        os.utime(folder, (1_000_000 + index, 1_000_000 + index))
    (tmp_path / "manifest.json").write_text("{}")
    (tmp_path / "partial_parse").mkdir()  # not a run folder: kept

    removed = prune_dbt_run_folders(tmp_path, keep=2)

    assert sorted(path.name for path in removed) == [
        "dbt_models-run0-abc",
        "dbt_models-run1-abc",
        "dbt_models-run2-abc",
    ]
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "dbt_models-run3-abc",
        "dbt_models-run4-abc",
        "manifest.json",
        "partial_parse",
    ]


def test_the_dbt_resource_knows_dbts_version_without_starting_dbt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """dagster-dbt asks ``dbt --version`` in a process of its own in every dbt step; the
    project's resource reads the same version from the installed package."""
    import re
    import subprocess

    import dagster_dbt.core.resource

    from orchestration.dbt import DBT_PROJECT
    from orchestration.resources import build_resources
    from warehouse.settings import Settings

    settings = Settings(target="duckdb", duckdb_path=tmp_path / "warehouse.duckdb")
    dbt = build_resources(settings, DBT_PROJECT)["dbt"]
    printed = subprocess.run(
        [dbt.dbt_executable, "--version"], capture_output=True, text=True, check=True
    ).stdout
    installed = re.search(r"(\d+\.\d+\.\d+)", printed)
    assert installed is not None, printed

    def no_process(*args: object, **kwargs: object) -> bytes:
        raise AssertionError(f"started a process for the version: {args}")

    monkeypatch.setattr(dagster_dbt.core.resource, "check_output", no_process)
    assert str(dbt._cli_version) == installed.group(1)
