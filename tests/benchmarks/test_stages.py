"""``ciw bench``'s stages end to end on a small generated shop, on a warehouse of its own."""

from pathlib import Path

import pytest

from benchmarks.report import benchmark_markdown, print_benchmark
from benchmarks.stages import run_benchmark
from warehouse.settings import Settings

pytestmark = pytest.mark.slow


def test_bench_times_every_stage_on_its_own_warehouse(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    users_warehouse = tmp_path / "mine.duckdb"
    settings = Settings(target="duckdb", duckdb_path=users_warehouse)

    result = run_benchmark(150, settings, seed=3, work_dir=tmp_path / "bench")

    names = [stage.name for stage in result.stages]
    assert names[:3] == ["generate", "load", "dbt build"]
    # The ML stages: Feast, then per model the training set three ways, training and scoring.
    assert names[3] == "feast sync"
    assert "customer_churn: training set, hand-written join" in names
    assert "customer_churn: training set, Feast (project join)" in names
    assert "customer_churn: train + register" in names
    assert "customer_churn: score" in names
    assert "dbt scored marts + alerts" in names
    assert names[-1] == "online profile lookup"
    assert all(stage.seconds > 0 for stage in result.stages if "skipped" not in stage.name)
    generated, loaded = result.stages[0].rows, result.stages[1].rows
    assert generated == sum(result.table_rows.values()) > 1_000
    assert loaded == generated  # every generated row is read by the loader
    assert not users_warehouse.exists()  # the user's warehouse is never touched
    assert (tmp_path / "bench" / "bench_150.duckdb").exists()

    print_benchmark(result)
    printed = capsys.readouterr().out
    assert "dbt build" in printed
    assert "commerce.orders" in printed

    markdown = benchmark_markdown(result)
    assert markdown.startswith("### 150 customers on DuckDB")
    assert "| dbt build |" in markdown
