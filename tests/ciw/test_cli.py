"""The command line: instant help, one readable line on user errors, no secrets in errors."""

import subprocess
import sys
from pathlib import Path

import pytest

from ciw.cli import main

CIW = str(Path(sys.executable).with_name("ciw"))


def test_help_lists_the_commands_without_importing_heavy_libraries() -> None:
    probe = (
        "import sys; from ciw.cli import main; "
        "code = main(['--help']); "
        "heavy = [m for m in ('dbt', 'dagster', 'feast', 'evidently', 'lightgbm', 'duckdb') "
        "if m in sys.modules]; print('HEAVY', heavy); sys.exit(code)"
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0
    commands = [
        *("generate", "load", "run", "bench", "docs"),
        *("models", "notify", "feedback", "profile", "ui", "backtest"),
    ]
    for command in commands:
        assert command in completed.stdout
    assert "HEAVY []" in completed.stdout


def test_installed_entry_point_answers_help() -> None:
    completed = subprocess.run([CIW, "run", "--help"], capture_output=True, text=True, check=False)
    assert completed.returncode == 0
    assert "--target" in completed.stdout


def test_unknown_target_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--target", "oracle"]) == 2
    assert "'oracle' is not one of" in capsys.readouterr().err


def test_missing_export_folder_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CIW_DUCKDB_PATH", str(tmp_path / "w.duckdb"))
    code = main(["load", str(tmp_path / "nowhere"), "--target", "duckdb"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("ciw: error:")
    assert "nowhere" in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_unreachable_postgres_is_one_line_without_the_password(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "exports").mkdir()
    monkeypatch.setenv("CIW_PG_PORT", "1")  # nothing listens there
    monkeypatch.setenv("CIW_PG_PASSWORD", "hunter2-secret")
    code = main(["run", "--target", "postgres"])
    err = capsys.readouterr().err
    assert code == 1
    assert "cannot reach PostgreSQL postgres@127.0.0.1:1/ciw" in err
    assert "hunter2-secret" not in err
    assert len(err.strip().splitlines()) == 1


def test_warehouse_locked_by_another_process_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "busy.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, sys, time; c = duckdb.connect({str(path)!r}); "
            "print('ready', flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        monkeypatch.setenv("CIW_DUCKDB_PATH", str(path))
        monkeypatch.setenv("CIW_LOCK_TIMEOUT", "0.5")
        code = main(["run", "--target", "duckdb"])
    finally:
        holder.kill()
        holder.wait()
    waiting, error = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert waiting.startswith(f"cannot open DuckDB file {path} yet: it is in use by process ")
    assert error.startswith(f"ciw: error: cannot open DuckDB file {path}: it is in use by ")
    assert f"(kill {holder.pid})" in error


def test_profile_of_an_unknown_customer_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CIW_DUCKDB_PATH", str(tmp_path / "empty.duckdb"))
    monkeypatch.delenv("CIW_TARGET", raising=False)
    assert main(["profile", "5"]) == 1
    error = capsys.readouterr().err.strip()
    assert error.startswith("ciw: error: ") and "\n" not in error


def test_generate_takes_the_history_length(tmp_path: Path) -> None:
    import pandas as pd

    out = tmp_path / "exports"
    code = main(
        ["generate", "--customers", "40", "--history-days", "120", "--end-date", "2026-06-30",
         "--out", str(out), "--format", "csv", "--dirty-share", "0"]
    )  # fmt: skip

    assert code == 0
    orders = pd.read_csv(out / "commerce" / "orders.csv")
    first = pd.to_datetime(orders["ordered_at"], utc=True).min()
    assert first >= pd.Timestamp("2026-06-30", tz="UTC") - pd.Timedelta(days=121)
