"""``ciw models list / promote / rollback`` against a real registry on DuckDB and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ciw.models_cli import LIST_HEADINGS, format_table, models_group
from ml.registry import ModelRegistry, ModelVersion
from tests.ml.registry_candidates import make_candidate, png_bytes, training_frame
from warehouse.settings import Settings


@pytest.fixture
def settings(
    warehouse_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    """The test warehouse, also in the environment that ``Settings.from_env`` reads."""
    chosen = replace(warehouse_settings, artifacts_root=tmp_path / "artifacts")
    monkeypatch.setenv("CIW_TARGET", chosen.target)
    monkeypatch.setenv("CIW_DUCKDB_PATH", str(chosen.duckdb_path))
    monkeypatch.setenv("CIW_PG_DATABASE", chosen.pg_database)
    monkeypatch.setenv("CIW_ARTIFACTS_DIR", str(tmp_path / "artifacts"))
    return chosen


def three_versions(settings: Settings) -> list[ModelVersion]:
    """a (first champion), b (better: champion), c (worse: challenger)."""
    registry = ModelRegistry(settings)
    frame, plot = training_frame(), png_bytes()
    return [
        registry.register(make_candidate(frame, plot, metric=metric, c=c))[0]
        for metric, c in ((0.70, 1.0), (0.80, 0.5), (0.60, 0.1))
    ]


def invoke(*args: str) -> Result:
    return CliRunner().invoke(models_group, list(args), catch_exceptions=False)


def champion_of(settings: Settings) -> str | None:
    champion = ModelRegistry(settings).champion("customer_churn")
    return champion.version if champion else None


def test_list_shows_each_version_with_status_metric_baseline_and_window(
    settings: Settings,
) -> None:
    a, b, c = three_versions(settings)

    result = invoke("list", "--model", "customer_churn")

    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0].split() == list(LIST_HEADINGS)
    rows = {line.split()[1]: line.split() for line in lines[1:]}
    assert set(rows) == {a.version, b.version, c.version}
    assert rows[b.version][3] == "champion" and rows[a.version][3] == "retired"
    assert rows[c.version][3] == "challenger"
    assert rows[b.version][6:10] == ["roc_auc", "0.8000", "0.6000", "2025-01-01..2026-03-01"]


def test_list_says_why_a_model_or_a_candidate_did_not_train(settings: Settings) -> None:
    from ml.selection import TrainOutcome, write_last_training

    root = ModelRegistry(settings).root
    write_last_training(
        root,
        TrainOutcome(
            "account_churn", trained=False, reason="account_churn: no label rows", not_trained={}
        ),
    )
    write_last_training(
        root,
        TrainOutcome(
            "customer_churn",
            trained=True,
            chosen="mbgnbd_gamma_gamma",
            chosen_because="no supervised model",
            not_trained={"lightgbm": "only 0 training rows mature before the holdout"},
        ),
    )

    result = invoke("list")

    assert result.exit_code == 0, result.output
    assert "account_churn: not trained: account_churn: no label rows" in result.output
    assert (
        "customer_churn: candidate lightgbm not trained: only 0 training rows mature"
        in result.output
    )
    assert "customer_churn: last training chose mbgnbd_gamma_gamma" in result.output


def test_list_on_an_empty_registry_says_how_to_fill_it(settings: Settings) -> None:
    result = invoke("list")
    assert result.exit_code == 0
    assert "no model versions registered" in result.output and "ciw run" in result.output


def test_promote_then_rollback_changes_the_champion(settings: Settings) -> None:
    _, b, c = three_versions(settings)

    promoted = invoke("promote", "customer_churn", c.version)
    assert promoted.exit_code == 0, promoted.output
    assert f"champion is now customer_churn {c.version}" in promoted.output
    assert f"{b.version} retired" in promoted.output
    assert champion_of(settings) == c.version

    rolled = invoke("rollback", "customer_churn")
    assert rolled.exit_code == 0, rolled.output
    assert f"champion is now customer_churn {b.version}" in rolled.output
    assert champion_of(settings) == b.version


def test_user_errors_are_one_line_and_change_nothing(settings: Settings) -> None:
    first, _ = ModelRegistry(settings).register(make_candidate(training_frame(), png_bytes()))

    no_previous = invoke("rollback", "customer_churn")
    missing = invoke("promote", "customer_churn", "nope")
    no_champion = invoke("rollback", "deal_risk")

    for result, message in (
        (no_previous, "no previous champion"),
        (missing, "has no version 'nope'"),
        (no_champion, "deal_risk has no champion to roll back"),
    ):
        assert result.exit_code == 1
        assert result.output.startswith("ciw: error: ") and message in result.output
        assert len(result.output.strip().splitlines()) == 1
    assert champion_of(settings) == first.version


def test_unknown_model_is_a_usage_error(settings: Settings) -> None:
    result = invoke("rollback", "churn")
    assert result.exit_code == 2
    assert "'churn' is not one of" in result.output


def test_format_table_aligns_columns() -> None:
    table = format_table(("a", "bb"), [("xxx", "y"), ("z", "wwww")])
    assert table.splitlines() == ["a    bb", "xxx  y", "z    wwww"]


def test_importing_the_commands_stays_light() -> None:
    probe = (
        "import sys; import ciw.models_cli; "
        "print([m for m in ('pandas', 'duckdb', 'psycopg', 'sklearn', 'dagster') "
        "if m in sys.modules])"
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert completed.stdout.strip() == "[]"


def test_a_duckdb_file_locked_by_another_process_is_one_line(
    duckdb_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CIW_TARGET", "duckdb")
    monkeypatch.setenv("CIW_DUCKDB_PATH", str(duckdb_settings.duckdb_path))
    monkeypatch.setenv("CIW_LOCK_TIMEOUT", "0")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); "
            "time.sleep(60)",
            str(duckdb_settings.duckdb_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        result = invoke("list")
    finally:
        holder.kill()
        holder.wait()
    assert result.exit_code == 1
    assert result.output.startswith("ciw: error: cannot open DuckDB file")
    assert len(result.output.strip().splitlines()) == 1
