"""The daily benchmark's parts: step grouping, the RSS sampler, the report and the plot."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from benchmarks.daily import (
    DailyBenchResult,
    RssSampler,
    exports_to_reuse,
    in_child,
    step_stage,
)
from benchmarks.daily_report import (
    daily_markdown,
    daily_seconds,
    plot_daily,
    scaling_markdown,
    scaling_rows,
)
from benchmarks.stages import Stage


def test_steps_fall_into_the_issue_s_stages() -> None:
    assert step_stage("dbt_models") == "dbt build"
    assert step_stage("dbt_scored_models") == "dbt scored marts + alerts"
    assert step_stage("ml__predictions") == "scoring"
    assert step_stage("ml__predictions_customer_churn_drift") == "drift + performance checks"
    assert step_stage("ml__customer_churn__training_set") == "training"
    assert step_stage("ml__customer_churn__model") == "training"
    assert step_stage("feast__online_scores") == "online store"
    assert step_stage("load_commerce") == "load (in the run)"
    assert step_stage("alerts__slack_notifications") == "alerts, monitoring, CRM"


def test_the_sampler_sees_memory_a_stage_allocates() -> None:
    with RssSampler(interval=0.05) as sampler:
        with sampler.stage("small"):
            pass
        with sampler.stage("big"):
            block = bytearray(200 * 1024 * 1024)
            block[::4096] = b"x" * len(block[::4096])  # touch every page
            import time

            time.sleep(0.3)
            del block
    assert sampler.peaks["big"] - sampler.peaks["small"] > 150 * 1024 * 1024


def test_a_stage_runs_in_a_fresh_process_and_its_errors_come_back() -> None:
    assert in_child(os.getpid) != os.getpid()
    assert in_child(sum, [1, 2, 3]) == 6
    with pytest.raises(ValueError, match="invalid literal"):
        in_child(int, "not a number")


def _result(customers: int, full: float, daily: float) -> DailyBenchResult:
    result = DailyBenchResult(customers, "DuckDB file x.duckdb", "2026-11-01")
    result.stages = [
        Stage("full run: dbt build", full * 0.6, 0),
        Stage("full run: total", full, 0),
        Stage("daily: load one day", 2.0, 10, "10 loaded"),
        Stage("daily run: total", daily, 0),
    ]
    result.peak_rss_bytes = {"full run": 3 * 1024**3, "daily run": 2 * 1024**3}
    return result


def test_daily_seconds_and_markdown() -> None:
    result = _result(10_000, 300.0, 60.0)
    assert daily_seconds(result) == 62.0
    assert daily_seconds(result.to_json()) == 62.0
    text = daily_markdown(result)
    assert "| daily run: total | 60.0 |" in text and "10,000 customers on DuckDB" in text
    assert result.peak_rss == 3 * 1024**3


def test_plot_from_saved_figures(tmp_path: Path) -> None:
    for customers, full, daily in ((10_000, 300.0, 60.0), (100_000, 900.0, 120.0)):
        path = tmp_path / f"daily_duckdb_{customers}.json"
        path.write_text(json.dumps(_result(customers, full, daily).to_json(), default=str))
    stopped = _result(1_000_000, 9_000.0, 0.0).to_json()  # a run killed half-way
    (tmp_path / "daily_duckdb_1000000.partial.json").write_text(json.dumps(stopped, default=str))
    image = tmp_path / "plot.png"
    assert len(plot_daily(tmp_path, image)) == 2  # the partial run is not a point
    assert {row[3] for row in scaling_rows(tmp_path)} == {100_000}
    assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_scaling_exponents_between_consecutive_sizes(tmp_path: Path) -> None:
    """Exponent log(t2/t1)/log(n2/n1) per warehouse and measure: 10x customers at 10x time is
    1.0, at 100x time 2.0; sizes of another warehouse are never mixed in."""
    for target, customers, full, daily in (
        ("duckdb", 10_000, 100.0, 20.0),
        ("duckdb", 100_000, 1_000.0, 200.0),
        ("duckdb", 1_000_000, 100_000.0, 2_000.0),
        ("postgres", 100_000, 3_000.0, 500.0),
    ):
        result = _result(customers, full, daily)
        result.warehouse = f"{'DuckDB' if target == 'duckdb' else 'PostgreSQL'} x"
        path = tmp_path / f"daily_{target}_{customers}.json"
        path.write_text(json.dumps(result.to_json(), default=str))
    rows = scaling_rows(tmp_path)
    found = {(r[0], r[1], r[2]): round(r[6], 6) for r in rows}
    assert found[("DuckDB", "full run: total", 10_000)] == 1.0
    assert found[("DuckDB", "full run: total", 100_000)] == 2.0
    assert found[("DuckDB", "full run: dbt build", 100_000)] == 2.0
    # daily includes the one day's 2 s load: (2 + 2000) / (2 + 200)
    assert found[("DuckDB", "daily", 100_000)] == round(__import__("math").log10(2002 / 202), 6)
    assert not any(r[0] == "PostgreSQL" for r in rows)  # one size: nothing to compare
    assert "| DuckDB | full run: total | 100,000 → 1,000,000 | 1000.0 → 100000.0 | 2.00 |" in (
        scaling_markdown(rows)
    )


def test_exports_are_reused_only_when_generated_for_the_same_run(tmp_path: Path) -> None:
    exports = tmp_path / "exports_1000_42"
    wanted = {"customers": 1000, "seed": 42, "end_date": "2026-12-05"}
    assert exports_to_reuse(exports, wanted) is None  # nothing generated yet
    exports.mkdir()
    assert exports_to_reuse(exports, wanted) is None  # a generator that stopped half-way
    marker = tmp_path / "exports_1000_42.json"
    marker.write_text(json.dumps({**wanted, "rows": 123_456}))
    assert exports_to_reuse(exports, wanted) == 123_456
    assert exports_to_reuse(exports, {**wanted, "end_date": "2026-12-06"}) is None
    assert exports_to_reuse(exports, {**wanted, "seed": 7}) is None
    marker.write_text("{not json")
    assert exports_to_reuse(exports, wanted) is None
