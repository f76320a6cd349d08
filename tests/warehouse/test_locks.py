"""A held warehouse: the second command waits, then names the holder; one run at a time."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from warehouse import WarehouseUnavailable, locks
from warehouse.connections import connect_duckdb
from warehouse.locks import RunClaim, exclusive_run
from warehouse.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def holder(script: str, *args: str) -> Iterator[subprocess.Popen[str]]:
    """A child process that takes a lock, prints ``held``, then sleeps until killed."""
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script), *args],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "held"
        yield child
    finally:
        child.kill()
        child.wait()


HOLD_FILE = """
import sys, time, duckdb
connection = duckdb.connect(sys.argv[1])
print("held", flush=True)
time.sleep(float(sys.argv[2]) if len(sys.argv) > 2 else 60)
connection.close()
time.sleep(60)
"""

HOLD_RUN = """
import sys, time
from dataclasses import replace
from warehouse.locks import exclusive_run
from warehouse.settings import Settings
settings = Settings.from_env(sys.argv[1])
path = __import__("pathlib").Path(sys.argv[2])
settings = replace(settings, duckdb_path=path, pg_database=sys.argv[3])
with exclusive_run(settings, "ciw run"):
    print("held", flush=True)
    time.sleep(60)
"""


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    said: list[str] = []
    monkeypatch.setattr(locks, "report_wait", said.append)
    return said


def test_a_held_duckdb_file_names_its_holder_after_the_timeout(
    duckdb_settings: Settings, monkeypatch: pytest.MonkeyPatch, waits: list[str]
) -> None:
    monkeypatch.setenv("CIW_LOCK_TIMEOUT", "0.6")
    with (
        holder(HOLD_FILE, str(duckdb_settings.duckdb_path)) as child,
        pytest.raises(WarehouseUnavailable) as raised,
    ):
        connect_duckdb(duckdb_settings)
    message = str(raised.value)
    assert message.startswith(f"cannot open DuckDB file {duckdb_settings.duckdb_path}")
    assert f"process {child.pid}" in message and f"kill {child.pid}" in message
    assert "\n" not in message
    assert len(waits) == 1 and "waiting up to 1 s" in waits[0]


def test_a_command_waits_until_the_holder_lets_go(
    duckdb_settings: Settings, monkeypatch: pytest.MonkeyPatch, waits: list[str]
) -> None:
    monkeypatch.setenv("CIW_LOCK_TIMEOUT", "30")
    with holder(HOLD_FILE, str(duckdb_settings.duckdb_path), "1.0"):
        connection = connect_duckdb(duckdb_settings)
        connection.execute("create table t as select 1 as x")
        connection.close()
    assert len(waits) == 1


def test_no_wait_when_the_timeout_is_zero(
    duckdb_settings: Settings, monkeypatch: pytest.MonkeyPatch, waits: list[str]
) -> None:
    monkeypatch.setenv("CIW_LOCK_TIMEOUT", "0")
    with (
        holder(HOLD_FILE, str(duckdb_settings.duckdb_path)),
        pytest.raises(WarehouseUnavailable, match="in use by process"),
    ):
        connect_duckdb(duckdb_settings)
    assert waits == []


def test_a_bad_timeout_is_a_settings_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from warehouse import SettingsError

    monkeypatch.setenv("CIW_LOCK_TIMEOUT", "soon")
    with pytest.raises(SettingsError, match="CIW_LOCK_TIMEOUT"):
        locks.lock_timeout()


def test_two_runs_never_hold_the_warehouse_at_once(
    warehouse_settings: Settings, waits: list[str]
) -> None:
    args = (
        warehouse_settings.target,
        str(warehouse_settings.duckdb_path),
        warehouse_settings.pg_database,
    )
    with (
        holder(HOLD_RUN, *args) as child,
        pytest.raises(WarehouseUnavailable) as raised,
        exclusive_run(warehouse_settings, "ciw run", timeout=0.5),
    ):
        pytest.fail("a second run started while the first held the lock")
    message = str(raised.value)
    assert f"cannot start ciw run on {warehouse_settings.describe()}" in message
    assert f"process {child.pid} (ciw run, started" in message
    assert len(waits) == 1
    with exclusive_run(warehouse_settings, "ciw run", timeout=5) as claim:  # released: free
        assert claim.purpose == "ciw run"


def test_run_claims_read_back() -> None:
    from datetime import datetime

    claim = RunClaim(42, "ciw load", datetime(2026, 12, 4, 6, 0, 0))
    assert RunClaim.parse(claim.text()) == claim
    assert RunClaim.parse("garbage") is None
    assert claim.describe() == "process 42 (ciw load, started 2026-12-04 06:00:00)"


def test_each_spark_warehouse_has_its_own_run_lock(tmp_path: Path) -> None:
    """A Spark run holds the lock beside its own warehouse folder: it keeps a second run off
    that warehouse, not off another Spark warehouse or the DuckDB file of the same machine."""
    duck = Settings(target="duckdb", duckdb_path=tmp_path / "warehouse.duckdb")
    first = Settings(target="spark", spark_warehouse_dir=tmp_path / "one" / "warehouse")
    second = Settings(target="spark", spark_warehouse_dir=tmp_path / "two" / "warehouse")
    assert locks.run_lock_path(first) == tmp_path / "one" / "run.lock"
    with exclusive_run(first, "ciw run", timeout=0):
        with exclusive_run(second, "ciw run", timeout=0), exclusive_run(duck, "ciw run", timeout=0):
            pass
        with (
            pytest.raises(WarehouseUnavailable, match="cannot start ciw load on Spark"),
            exclusive_run(first, "ciw load", timeout=0),
        ):
            pytest.fail("a second run started on the same Spark warehouse")
