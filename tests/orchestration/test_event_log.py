"""The local instance's event log (orchestration/event_log.py): Dagster's SQLite files, one
engine per file kept, every event stored and read back, and homes the stock storage wrote read
the same."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from orchestration import event_log
from orchestration.event_log import LocalDagsterStorage, ReusedEngineEventLogStorage
from orchestration.instance import open_instance
from warehouse.settings import Settings


@dg.asset(check_specs=[dg.AssetCheckSpec("positive", asset="answer")])
def answer() -> dg.MaterializeResult:
    return dg.MaterializeResult(
        metadata={"value": 42}, check_results=[dg.AssetCheckResult(passed=True)]
    )


def _run(instance: dg.DagsterInstance) -> str:
    job = dg.Definitions(assets=[answer]).resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(instance=instance)
    assert result.success
    return result.run_id


def _instance(home: Path, monkeypatch: pytest.MonkeyPatch) -> dg.DagsterInstance:
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.delenv("CIW_DAGSTER_STORAGE", raising=False)
    return open_instance(Settings(target="duckdb"), home=home)


def test_the_project_instance_stores_and_reads_every_event(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    instance = _instance(tmp_path / "home", monkeypatch)
    storage = instance.event_log_storage
    assert isinstance(storage, ReusedEngineEventLogStorage)
    run_id = _run(instance)

    logs = instance.all_logs(run_id)
    types = [entry.dagster_event_type for entry in logs if entry.is_dagster_event]
    assert dg.DagsterEventType.ASSET_MATERIALIZATION in types
    assert dg.DagsterEventType.ASSET_CHECK_EVALUATION in types
    assert dg.DagsterEventType.RUN_SUCCESS in types
    # Mirrored into the index: the asset's latest materialization and its check.
    latest = instance.get_latest_materialization_event(dg.AssetKey("answer"))
    assert latest is not None and latest.run_id == run_id
    assert (tmp_path / "home" / "history" / "runs" / f"{run_id}.db").exists()
    # One engine for the run's file and one for the index, reused by every write.
    assert storage.engine_for(run_id) is storage.engine_for(run_id)
    assert {run_id, "index"} <= set(storage._engines)


def test_a_home_the_stock_storage_wrote_reads_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    stock = dg.DagsterInstance.from_config(str(home))
    assert not isinstance(stock.event_log_storage, ReusedEngineEventLogStorage)
    run_id = _run(stock)
    stock.dispose()

    instance = _instance(home, monkeypatch)  # the project's dagster.yaml replaces the stock one
    assert isinstance(instance.get_ref().storage, LocalDagsterStorage)
    assert instance.get_run_by_id(run_id) is not None
    assert len(instance.all_logs(run_id)) > 5
    latest = instance.get_latest_materialization_event(dg.AssetKey("answer"))
    assert latest is not None and latest.run_id == run_id


def test_engines_beyond_the_limit_are_disposed_oldest_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(event_log, "MAX_ENGINES", 2)
    storage = ReusedEngineEventLogStorage(str(tmp_path / "runs"))
    first = storage.engine_for("run-a")
    storage.engine_for("run-b")
    assert storage.engine_for("run-a") is first  # used again: now the most recent
    storage.engine_for("run-c")
    assert set(storage._engines) == {"run-a", "run-c"}
    storage.dispose()
    assert storage._engines == {}


def test_the_home_s_instance_file_names_the_home_as_the_storage_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import yaml

    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    _instance(tmp_path / "home", monkeypatch)
    written = yaml.safe_load((tmp_path / "home" / "dagster.yaml").read_text())
    assert written["storage"]["custom"]["config"]["base_dir"] == str((tmp_path / "home").resolve())
    # Opening it needs no DAGSTER_HOME in the environment.
    monkeypatch.delenv("DAGSTER_HOME")
    assert isinstance(
        dg.DagsterInstance.from_config(str(tmp_path / "home")).event_log_storage,
        ReusedEngineEventLogStorage,
    )


def test_the_index_keeps_one_connection_and_another_process_sees_every_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The index database's connection stays open between writes (synced at checkpoints);
    a second instance on the same home, as the UI's process would be, reads each write at
    once and writes its own, which the first then reads."""
    first = _instance(tmp_path / "home", monkeypatch)
    storage = first.event_log_storage
    assert isinstance(storage, ReusedEngineEventLogStorage)
    run_id = _run(first)
    index = storage._engines["index"]
    assert index.pool.checkedin() == 1  # kept, not closed after the run's writes
    with index.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL

    other = dg.DagsterInstance.from_config(str(tmp_path / "home"))
    seen = other.get_latest_materialization_event(dg.AssetKey("answer"))
    assert seen is not None and seen.run_id == run_id
    other_run = _run(other)
    other.dispose()
    latest = first.get_latest_materialization_event(dg.AssetKey("answer"))
    assert latest is not None and latest.run_id == other_run
    first.dispose()


def test_a_run_s_file_is_checkpointed_after_every_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each write to a run's own file closes its connection, which moves the write-ahead log
    into the file: the change Dagster's file watcher (the UI's live run view) waits for."""
    instance = _instance(tmp_path / "home", monkeypatch)
    run_id = _run(instance)
    runs = tmp_path / "home" / "history" / "runs"
    assert (runs / f"{run_id}.db").stat().st_size > 0
    assert not (runs / f"{run_id}.db-wal").exists()
    assert (runs / "index.db-wal").exists()  # the index's connection is still open
    instance.dispose()
    assert not (runs / "index.db-wal").exists()  # ... until the instance is disposed


def test_a_table_the_index_has_is_remembered_and_a_missing_one_is_asked_again(
    tmp_path: Path,
) -> None:
    import sqlite3

    storage = ReusedEngineEventLogStorage(str(tmp_path / "runs"))
    assert storage.has_table("concurrency_limits")
    assert not storage.has_table("not_a_table")
    with sqlite3.connect(tmp_path / "runs" / "index.db") as connection:
        connection.execute("create table not_a_table (x int)")
        connection.execute("drop table concurrency_limits")
    assert storage.has_table("not_a_table")  # asked again: now there
    assert storage.has_table("concurrency_limits")  # remembered (tables are never dropped)
    storage.dispose()
