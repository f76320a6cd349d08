"""One warehouse per target, built once per test session, for the many tests that only read it.

``built_duckdb`` and ``built_postgres`` generate 400 customers, load them through ``ciw load``
and run the whole daily pipeline once, delivering to a stand-in Slack. Tests that read the
result take ``built_warehouse`` (both targets) or one of the two. Tests that use them carry
``xdist_group`` marks (added by ``pytest_collection_modifyitems`` in tests/conftest.py) so one
worker builds each warehouse once. A test that changes the warehouse must say so in its name
and run last in its module.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from warehouse.settings import Settings

CUSTOMERS = 400
SEED = 7
END_DATE = date(2026, 10, 31)
BUILT_FIXTURES = ("built_duckdb", "built_postgres", "built_warehouse")


@dataclass
class BuiltWarehouse:
    """A warehouse after one daily run, and what the run left beside it."""

    settings: Settings
    exports: Path
    env: dict[str, str]
    result: Any  # orchestration.launch.PipelineResult
    slack_messages: list[dict[str, Any]] = field(default_factory=list)

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        from warehouse import adapter_for

        with adapter_for(self.settings).session() as session:
            return session.execute(sql)

    def scalar(self, sql: str) -> Any:
        return self.query(sql)[0][0]

    def apply_env(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Point ``ciw`` commands in a test at this warehouse (dbt target, Dagster home, Slack)."""
        for key, value in self.env.items():
            monkeypatch.setenv(key, value)


def _build(settings: Settings, root: Path) -> BuiltWarehouse:
    from ciw.cli import main
    from orchestration.launch import run_pipeline
    from orchestration.resources import temporary_environment
    from tests.notifier.slack_standin import VALID_TOKEN, SlackStandIn

    exports = root / "exports"
    slack = SlackStandIn().start()
    env = {
        **settings.dbt_env(),
        "CIW_ARTIFACTS_DIR": str(settings.artifacts_dir),
        "CIW_DBT_TARGET_PATH": str(root / "dbt_target"),
        "DAGSTER_HOME": str(root / "dagster_home"),
        "SLACK_BOT_TOKEN": VALID_TOKEN,
        "SLACK_API_URL": slack.api_url,
        "SLACK_DEFAULT_CHANNEL": "#customer-alerts",
    }
    unset = {"SLACK_WEBHOOK_URL": None, "CIW_DAGSTER_STORAGE": None}
    try:
        with temporary_environment({**env, **unset}):
            generate = ["generate", "--customers", str(CUSTOMERS), "--seed", str(SEED)]
            dated = [*generate, "--end-date", END_DATE.isoformat(), "--out", str(exports)]
            assert main(dated) == 0
            assert main(["load", str(exports), "--target", settings.target]) == 0
            result = run_pipeline(settings, exports)
    finally:
        slack.stop()
    built = BuiltWarehouse(settings, exports, env, result, list(slack.messages))
    built.env["SLACK_API_URL"] = ""  # the stand-in is gone: later commands must not reach it
    return built


@pytest.fixture(scope="session")
def built_duckdb(tmp_path_factory: pytest.TempPathFactory) -> BuiltWarehouse:
    root = tmp_path_factory.mktemp("built_duckdb")
    settings = Settings(
        target="duckdb", duckdb_path=root / "warehouse.duckdb", artifacts_root=root / "artifacts"
    )
    return _build(settings, root)


@pytest.fixture(scope="session")
def built_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BuiltWarehouse]:
    from tests.conftest import require_postgres
    from warehouse.connections import drop_postgres_database, ensure_postgres_database

    root = tmp_path_factory.mktemp("built_postgres")
    settings = replace(
        require_postgres(),
        pg_database=f"ciw_built_{uuid.uuid4().hex[:10]}",
        artifacts_root=root / "artifacts",
    )
    ensure_postgres_database(settings)
    try:
        yield _build(settings, root)
    finally:
        drop_postgres_database(settings)


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def built_warehouse(request: pytest.FixtureRequest) -> BuiltWarehouse:
    """The built warehouse of each target in turn."""
    built: BuiltWarehouse = request.getfixturevalue(f"built_{request.param}")
    return built


def xdist_group_of(fixturenames: list[str], callspec_id: str | None) -> str | None:
    """The worker group a test must join so its built warehouse is built once."""
    if "built_postgres" in fixturenames or (
        "built_warehouse" in fixturenames and callspec_id and "postgres" in callspec_id
    ):
        return "built_postgres"
    if "built_duckdb" in fixturenames or "built_warehouse" in fixturenames:
        return "built_duckdb"
    return None
