"""Run dbt against the chosen warehouse, with dbt's own output shown as it goes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from warehouse.paths import DBT_PROJECT_DIR
from warehouse.settings import Settings

#: The pipeline's dbt artifacts (Dagster's manifest, and a folder per invocation beside the
#: partial parse they share), relative to the dbt project.
PIPELINE_TARGET = Path("target") / "dagster"
#: dbt's partial-parse state: with it a command re-parses only the files that changed.
PARTIAL_PARSE_FILE = "partial_parse.msgpack"


class DbtFailure(RuntimeError):
    """dbt exited non-zero; the message says which command and where its log is."""


@dataclass(frozen=True)
class DbtResult:
    command: tuple[str, ...]
    target_path: Path
    statuses: dict[str, Counter[str]]  # resource type -> status -> count

    def summary(self) -> str:
        parts = []
        for resource_type, counts in sorted(self.statuses.items()):
            detail = ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))
            parts.append(f"{resource_type}: {detail}")
        return "; ".join(parts) if parts else "nothing selected"


def dbt_executable() -> str:
    return str(Path(sys.executable).with_name("dbt"))


def target_path_for(settings: Settings) -> Path:
    """Separate artifacts per warehouse, so a Postgres run never reuses a DuckDB manifest.

    ``CIW_DBT_TARGET_PATH`` moves them (tests give each run its own folder).
    """
    base = os.environ.get("CIW_DBT_TARGET_PATH")
    return Path(base) if base else DBT_PROJECT_DIR / "target" / settings.target


def pipeline_target_path() -> Path:
    """Where the pipeline's dbt invocations keep their artifacts and partial parse.

    ``CIW_DBT_TARGET_PATH`` (tests) moves it, as it moves :func:`target_path_for`'s artifacts;
    by default it is :data:`PIPELINE_TARGET`, beside the manifest Dagster reads.
    """
    base = os.environ.get("CIW_DBT_TARGET_PATH")
    return Path(base) / "dagster" if base else DBT_PROJECT_DIR / PIPELINE_TARGET


def reuse_partial_parse(target: Path) -> bool:
    """Give an artifact folder without dbt's partial-parse state the pipeline's latest.

    dbt checks that the state was made for the same project files, profile (the warehouse's
    connection) and vars, re-parses only the files that changed, and parses in full when the
    profile or vars differ: so a ``ciw dbt`` command after a run skips the full parse (10-15 s
    of a 700-test project) whenever it can. True when the state was copied.
    """
    kept = pipeline_target_path() / PARTIAL_PARSE_FILE
    own = target / PARTIAL_PARSE_FILE
    if own.exists() or not kept.is_file() or kept.resolve() == own.resolve():
        return False
    copy_partial_parse(kept, target)
    return True


def copy_partial_parse(state: Path, folder: Path) -> None:
    """Put the partial-parse ``state`` into ``folder`` atomically: a dbt process starting
    meanwhile reads the old state or the whole new one."""
    folder.mkdir(parents=True, exist_ok=True)
    scratch = folder / f".{PARTIAL_PARSE_FILE}.{os.getpid()}"
    shutil.copyfile(state, scratch)
    scratch.replace(folder / PARTIAL_PARSE_FILE)


def run_dbt(
    arguments: list[str],
    settings: Settings,
    *,
    target_path: Path | None = None,
    echo: bool = True,
) -> DbtResult:
    """Run ``dbt <arguments>`` in the project with the warehouse from ``settings``."""
    from warehouse.adapters import adapter_for

    adapter_for(settings).ensure_database()
    target = target_path or target_path_for(settings)
    reuse_partial_parse(target)
    env = {
        **os.environ,
        **settings.dbt_env(),
        "DBT_TARGET_PATH": str(target),
        "DBT_LOG_PATH": str(target / "logs"),
        "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_VERSION_CHECK": "false",
    }
    command = (dbt_executable(), *arguments)
    completed = subprocess.run(
        command,
        cwd=DBT_PROJECT_DIR,
        env=env,
        stdout=None if echo else subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        tail = ""
        if not echo and completed.stdout:
            tail = "\n" + "\n".join(completed.stdout.strip().splitlines()[-25:])
        raise DbtFailure(
            f"`dbt {' '.join(arguments)}` failed on {settings.describe()} "
            f"(exit {completed.returncode}); log: {target / 'logs' / 'dbt.log'}{tail}"
        )
    return DbtResult(command, target, _read_statuses(target / "run_results.json"))


def _read_statuses(run_results: Path) -> dict[str, Counter[str]]:
    if not run_results.exists():
        return {}
    results = json.loads(run_results.read_text(encoding="utf-8")).get("results", [])
    statuses: dict[str, Counter[str]] = {}
    for result in results:
        resource_type = result["unique_id"].split(".", 1)[0]
        statuses.setdefault(resource_type, Counter())[result["status"]] += 1
    return statuses
