"""``python -m benchmarks.event_log``: a run's events read back from its file and replayed into
empty event logs of both kinds."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from benchmarks.event_log import STORAGES, main, replay_seconds, run_events


@dg.asset
def number() -> int:
    return 7


def test_a_run_s_events_are_replayed_into_both_storages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from orchestration.instance import open_instance
    from warehouse.settings import Settings

    home = tmp_path / "home"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.delenv("CIW_DAGSTER_STORAGE", raising=False)
    instance = open_instance(Settings(target="duckdb"), home=home)
    job = dg.Definitions(assets=[number]).resolve_implicit_global_asset_job_def()
    run_id = job.execute_in_process(instance=instance).run_id
    instance.dispose()

    events = run_events(home)
    assert len(events) == len(run_events(home, run_id[:8])) > 5
    assert {entry.run_id for entry in events} == {run_id}
    assert all(replay_seconds(make, events) > 0 for make in STORAGES.values())
    main([str(home), "--repeat", "1"])
    out = capsys.readouterr().out
    assert f"{len(events)} events" in out and "dagster" in out and "project" in out
    with pytest.raises(SystemExit, match="no run matching nothing"):
        run_events(home, "nothing")
