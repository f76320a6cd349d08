"""The champion table printed at the end of ``ciw run``."""

from __future__ import annotations

import pytest

from ciw.summary import model_rows, model_table, not_trained, outcome_line, run_title
from ml.contracts import MODEL_SPECS
from warehouse.settings import Settings


def test_every_model_is_listed_and_an_untrained_one_says_so(duckdb_settings: Settings) -> None:
    rows = model_rows(duckdb_settings)
    assert [row[0] for row in rows] == list(MODEL_SPECS)
    assert {row[2] for row in rows} == {"no champion (reason below)"}
    table = model_table(duckdb_settings)
    assert table is not None and table.row_count == len(MODEL_SPECS)


def test_untrained_models_are_listed_with_their_reason_and_counted_in_the_last_line(
    duckdb_settings: Settings,
) -> None:
    from ml.selection import TrainOutcome, write_last_training

    root = duckdb_settings.artifacts_dir / "registry"
    write_last_training(root, TrainOutcome("deal_risk", trained=False, reason="no label rows"))
    write_last_training(root, TrainOutcome("customer_churn", trained=True, chosen="lightgbm"))

    assert not_trained(duckdb_settings) == {"deal_risk": "no label rows"}
    assert outcome_line(True, 1) == (
        "[green]pipeline succeeded[/green]; 1 model not trained (see above)"
    )
    assert outcome_line(True, 0) == "[green]pipeline succeeded[/green]"
    assert outcome_line(False, 3) == "[red]pipeline failed[/red]"


def test_a_model_kept_from_the_champion_by_its_rule_says_so(duckdb_settings: Settings) -> None:
    from ciw.summary import kept_from_champion
    from ml.selection import TrainOutcome, write_last_training

    root = duckdb_settings.artifacts_dir / "registry"
    reason = "not champion: holdout roc_auc 0.6089 does not beat rule:account_health 0.6515"
    write_last_training(root, TrainOutcome("account_churn", trained=True, reason=reason))

    assert kept_from_champion(duckdb_settings) == {"account_churn": reason}


def test_the_title_says_whether_the_run_trained() -> None:
    from orchestration.launch import PipelineResult
    from orchestration.schedules import DAILY_JOB, FULL_JOB

    full = PipelineResult(run_id="r1", success=True, job_name=FULL_JOB)
    daily = PipelineResult(run_id="r2", success=True, job_name=DAILY_JOB)
    assert run_title(full) == "Full pipeline run (with training)"
    assert run_title(daily) == "Daily pipeline run"


def test_the_run_time_and_its_slowest_steps_are_read_from_the_event_log() -> None:
    import time

    import dagster as dg

    from ciw.summary import SLOWEST_SHOWN, timing_line
    from orchestration.launch import PipelineResult, step_timings

    @dg.op
    def quick() -> int:
        return 1

    @dg.op
    def slow(value: int) -> int:
        time.sleep(0.3)
        return value

    @dg.job
    def two_steps() -> None:
        slow(quick())

    with dg.DagsterInstance.ephemeral() as instance:
        result = two_steps.execute_in_process(instance=instance)
        steps, wall = step_timings(instance, result.run_id)

    assert [step for step, _ in steps] == ["slow", "quick"]
    assert steps[0][1] >= 0.3 > steps[1][1]
    assert wall >= steps[0][1] + steps[1][1]
    line = timing_line(PipelineResult("r", True, step_seconds=steps, wall_seconds=wall))
    assert line.startswith("took 0s; slowest steps: slow 0.3s, quick 0.")
    many = tuple((f"step{i}", 10.0 - i) for i in range(SLOWEST_SHOWN + 3))
    line = timing_line(PipelineResult("r", True, step_seconds=many, wall_seconds=75.4))
    assert line == "took 1m 15s; slowest steps: step0 10.0s, step1 9.0s, step2 8.0s, step3 7.0s"
    assert timing_line(PipelineResult("r", True)) == ""


def test_where_to_look_names_the_target_of_the_run() -> None:
    from ciw.summary import _where_to_look

    assert "--target" not in _where_to_look(Settings(target="duckdb"))
    for target in ("postgres", "spark"):
        lines = _where_to_look(Settings(target=target)).splitlines()
        with_flag = [line for line in lines if ".venv/bin/ciw" in line]
        assert with_flag and all(f"--target {target}" in line for line in with_flag)
    # Spark delivers nothing (docs/spark.md): no delivery command is offered there.
    spark = _where_to_look(Settings(target="spark"))
    assert "notify" not in spark and "crm push" not in spark and "marts.alerts" in spark


def test_a_table_printed_into_a_pipe_keeps_its_numbers_whole(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Into a pipe or a file (CI logs, `ciw run | tee`) rich would squeeze a table to 80
    columns and cut its metrics to "0.…"; the tables are printed 160 wide there."""
    from rich.table import Table

    from ciw.options import PIPE_WIDTH, table_console

    console = table_console()
    assert not console.is_terminal and console.width == PIPE_WIDTH
    table = Table(*("model", "champion", "metric", "holdout", "baseline", "baseline model"))
    table.add_row("customer_churn", "967ac50d", "roc_auc", "0.812", "0.774", "bgnbd_gamma_gamma")
    console.print(table)
    printed = capsys.readouterr().out
    assert "…" not in printed and "0.812" in printed and "bgnbd_gamma_gamma" in printed
