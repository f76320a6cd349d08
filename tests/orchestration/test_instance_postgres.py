"""CIW_DAGSTER_STORAGE=postgres: runs, events and schedules live in the real PostgreSQL."""

from pathlib import Path

import dagster as dg
import pytest

from orchestration.instance import open_instance
from warehouse.settings import Settings

pytestmark = pytest.mark.postgres


@dg.op
def say_hello(context: dg.OpExecutionContext) -> str:
    context.log.info("hello from the instance test")
    return "hello"


@dg.job
def tiny_job() -> None:
    say_hello()


def test_instance_on_postgres_stores_runs(
    postgres_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dagster_postgres import PostgresRunStorage

    monkeypatch.setenv("CIW_DAGSTER_STORAGE", "postgres")
    monkeypatch.delenv("CIW_DAGSTER_PG_DATABASE", raising=False)
    with open_instance(postgres_settings, home=tmp_path / "home") as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        result = tiny_job.execute_in_process(instance=instance)
        assert result.success
        run_id = result.run_id

    # A fresh instance, reading only what Postgres holds.
    with open_instance(postgres_settings, home=tmp_path / "home") as reopened:
        run = reopened.get_run_by_id(run_id)
        assert run is not None and run.job_name == "tiny_job"
        assert run.status == dg.DagsterRunStatus.SUCCESS
        logs = reopened.all_logs(run_id)
        assert any("hello from the instance test" in (entry.user_message or "") for entry in logs)

    import psycopg

    with psycopg.connect(postgres_settings.pg_conninfo()) as connection:
        stored = connection.execute("select count(*) from runs where run_id = %s", (run_id,))
        assert stored.fetchone() == (1,)
