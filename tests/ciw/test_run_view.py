"""ciw run's quiet terminal, progress counts and run events from a real Dagster run."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import dagster as dg

from ciw.run_view import ProgressView, RunProgress, new_log_path
from orchestration.run_events import RunEvent, listening_logger


def test_everything_written_goes_to_the_log_and_the_terminal_stays_free(
    tmp_path: Path,
) -> None:
    log = tmp_path / "run.log"
    script = (
        "import os, sys, warnings\n"
        "from pathlib import Path\n"
        "from ciw.run_view import quiet_terminal\n"
        "with quiet_terminal(Path(sys.argv[1])) as terminal:\n"
        "    print('python stdout')\n"
        "    os.write(2, b'fd two\\n')\n"
        "    warnings.warn('third-party noise', DeprecationWarning, stacklevel=1)\n"
        "    os.system('echo child process')\n"
        "    terminal.write('progress line\\n')\n"
        "print('after the run')\n"
    )
    done = subprocess.run(
        [sys.executable, "-W", "always", "-c", script, str(log)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    written = log.read_text()
    for line in ("python stdout", "fd two", "third-party noise", "child process"):
        assert line in written
        assert line not in done.stdout + done.stderr
    assert done.stderr == "progress line\n"
    assert done.stdout == "after the run\n"


def test_old_run_logs_are_pruned(tmp_path: Path) -> None:
    for day in range(1, 26):
        (tmp_path / f"run-202612{day:02d}-060000.log").write_text("x")
    path = new_log_path(tmp_path, datetime(2026, 12, 31, 6, 0))
    assert path.name == "run-20261231-060000.log"
    kept = sorted(tmp_path.glob("run-*.log"))
    assert len(kept) == 19 and kept[0].name == "run-20261207-060000.log"


def test_progress_counts_per_layer_in_layer_order() -> None:
    progress = RunProgress({"a": "marts", "b": "staging", "c": "staging", "d": "ml"})
    for event in (
        RunEvent("step_started", step="dbt_models"),
        RunEvent("materialized", asset_key="b"),
        RunEvent("check", asset_key="b", passed=True),
        RunEvent("check", asset_key="b", passed=False),
        RunEvent("materialized", asset_key="a"),
        RunEvent("step_failed", step="dbt_models", passed=False),
    ):
        progress.update(event)
    assert progress.rows() == [
        ("staging", "1/2", "1", "1"),
        ("marts", "1/1", "0", "0"),
        ("ml", "0/1", "0", "0"),
    ]
    assert progress.current_step == "dbt_models"
    assert progress.failed_steps == ["dbt_models"]


def test_off_a_terminal_the_view_prints_one_line_per_step() -> None:
    out = io.StringIO()
    with ProgressView(RunProgress({"a": "marts"}), out, "daily pipeline") as view:
        view(RunEvent("step_started", step="dbt_models"))
        view(RunEvent("materialized", asset_key="a"))
        view(RunEvent("step_failed", step="dbt_models", passed=False))
    lines = out.getvalue().splitlines()
    assert lines[0] == "daily pipeline"
    assert lines[1].endswith("started dbt_models")
    assert lines[2].endswith("failed dbt_models")
    assert len(lines) == 3


def test_a_real_run_hands_its_events_to_the_listener() -> None:
    @dg.asset(check_specs=[dg.AssetCheckSpec("positive", asset="numbers")])
    def numbers() -> Iterator[object]:
        yield dg.Output(3)
        yield dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.ERROR)

    @dg.asset
    def broken() -> None:
        raise RuntimeError("boom")

    heard: list[RunEvent] = []
    job = dg.Definitions(assets=[numbers, broken]).resolve_implicit_global_asset_job_def()
    job.with_logger_defs({"ciw_progress": listening_logger(heard.append)}).execute_in_process(
        raise_on_error=False, run_config={"loggers": {"ciw_progress": {}}}
    )
    kinds = {(event.kind, event.asset_key or event.step, event.passed) for event in heard}
    assert ("materialized", "numbers", True) in kinds
    assert ("check", "numbers", False) in kinds
    assert ("step_started", "numbers", True) in kinds
    assert ("step_failed", "broken", False) in kinds
