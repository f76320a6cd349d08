"""The Dagster instance: SQLite under DAGSTER_HOME by default, Postgres by one setting.

``CIW_DAGSTER_STORAGE=postgres`` picks ``dagster_postgres.yaml`` (run, event-log and schedule
storage on PostgreSQL); anything else the local ``dagster.yaml``. The chosen file is copied to
``$DAGSTER_HOME/dagster.yaml``; DAGSTER_HOME defaults to ``<repo>/.dagster_home``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import dagster as dg
import yaml

from warehouse.paths import PROJECT_ROOT
from warehouse.settings import Settings, SettingsError

Storage = Literal["sqlite", "postgres"]
DEFAULT_DAGSTER_HOME = PROJECT_ROOT / ".dagster_home"
INSTANCE_FILES: dict[str, Path] = {
    "sqlite": PROJECT_ROOT / "dagster.yaml",
    "postgres": PROJECT_ROOT / "dagster_postgres.yaml",
}


def storage_kind(value: str | None = None) -> Storage:
    chosen = (value or os.environ.get("CIW_DAGSTER_STORAGE") or "sqlite").strip().lower()
    if chosen == "postgres":
        return "postgres"
    if chosen in ("sqlite", "local"):
        return "sqlite"
    raise SettingsError(f"CIW_DAGSTER_STORAGE must be sqlite or postgres, got {chosen!r}")


def dagster_home() -> Path:
    return Path(os.environ.get("DAGSTER_HOME") or DEFAULT_DAGSTER_HOME).resolve()


def prepare_dagster_home(home: Path | None = None, storage: Storage | None = None) -> Path:
    """Create DAGSTER_HOME and put the chosen instance file there as ``dagster.yaml``."""
    home = (home or dagster_home()).resolve()
    home.mkdir(parents=True, exist_ok=True)
    text = instance_file_text(INSTANCE_FILES[storage or storage_kind()], home)
    target = home / "dagster.yaml"
    if not target.exists() or target.read_text() != text:
        scratch = home / f".dagster.yaml.{os.getpid()}"
        scratch.write_text(text)
        scratch.replace(target)  # atomic: a process opening the instance sees old or new
    return home


def instance_file_text(source: Path, home: Path) -> str:
    """The instance file for ``home``: the local storage's folder is the home itself (written
    in, so opening the instance needs no DAGSTER_HOME in the environment)."""
    text = source.read_text()
    data = yaml.safe_load(text)
    custom = (data.get("storage") or {}).get("custom")
    if custom is None:
        return text
    custom.setdefault("config", {})["base_dir"] = str(home)
    header = f"# Written by orchestration/instance.py from {source.name}; edit that file.\n"
    return header + yaml.safe_dump(data, sort_keys=False)


def instance_env(
    settings: Settings, home: Path | None = None, storage: Storage | None = None
) -> dict[str, str]:
    """Environment for any process that opens the instance (``dagster dev``, this one)."""
    env = {"DAGSTER_HOME": str(prepare_dagster_home(home, storage))}
    if (storage or storage_kind()) == "postgres":
        env.update({key: value for key, value in settings.dbt_env().items() if "_PG_" in key})
        env["CIW_DAGSTER_PG_DATABASE"] = os.environ.get(
            "CIW_DAGSTER_PG_DATABASE", settings.pg_database
        )
    return env


def open_instance(
    settings: Settings, home: Path | None = None, storage: Storage | None = None
) -> dg.DagsterInstance:
    """The persistent instance: runs started by ``ciw run`` show in the UI afterwards."""
    from orchestration.resources import temporary_environment

    env = instance_env(settings, home, storage)
    if (storage or storage_kind()) == "postgres":
        from warehouse.connections import ensure_postgres_database

        ensure_postgres_database(settings)
    with temporary_environment(env):
        return dg.DagsterInstance.from_config(env["DAGSTER_HOME"])
