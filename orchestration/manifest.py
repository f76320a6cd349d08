"""The dbt manifest Dagster reads: built before deploy, refreshed in development only when stale.

Why not ``DbtProject.prepare_if_dev()``: it re-parses on *every* load under ``dagster dev`` and
never outside it, so ``ciw run`` and tests would need a separate path. ``ensure_manifest`` runs
``dbt parse`` only when ``manifest.json`` is missing or older than a file of the dbt project,
so loading the definitions costs nothing when the manifest is current, everywhere. Deploys build
it first: ``python -m orchestration.manifest``.

The manifest lives in ``dbt_project/target/dagster/``, apart from the per-warehouse artifacts
that ``warehouse.dbt`` writes to ``dbt_project/target/<target>/``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from warehouse.dbt import PIPELINE_TARGET
from warehouse.paths import DBT_PROJECT_DIR
from warehouse.settings import Settings

#: Relative to the dbt project, as ``DbtProject(target_path=...)`` wants it.
MANIFEST_TARGET = PIPELINE_TARGET
MANIFEST_DIR = DBT_PROJECT_DIR / MANIFEST_TARGET
MANIFEST_PATH = MANIFEST_DIR / "manifest.json"

_PROJECT_FOLDERS = ("models", "macros", "tests", "snapshots", "seeds", "analyses")
_PROJECT_SUFFIXES = {".sql", ".yml", ".yaml", ".csv", ".md"}


class ManifestError(RuntimeError):
    """``dbt parse`` failed; the message carries the tail of its output."""


def _project_files(project_dir: Path) -> Iterator[Path]:
    yield project_dir / "dbt_project.yml"
    for folder in _PROJECT_FOLDERS:
        root = project_dir / folder
        if root.is_dir():
            for path in root.rglob("*"):
                if path.suffix in _PROJECT_SUFFIXES and path.is_file():
                    yield path


def manifest_is_stale(manifest: Path = MANIFEST_PATH, project_dir: Path = DBT_PROJECT_DIR) -> bool:
    """True when the manifest is missing or a project file changed after it was written."""
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    return any(path.stat().st_mtime > built for path in _project_files(project_dir))


def parse_project(settings: Settings | None = None) -> Path:
    """Run ``dbt parse`` into a scratch folder, then move the artifacts in place atomically.

    Parsing does not connect to the warehouse; the target only decides the adapter named in the
    manifest. Concurrent callers (parallel tests) each parse and the last rename wins.
    """
    settings = settings or Settings.from_env()
    MANIFEST_DIR.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".parse-", dir=MANIFEST_DIR))
    env = {
        **os.environ,
        **settings.dbt_env(),
        "DBT_TARGET_PATH": str(scratch),
        "DBT_LOG_PATH": str(scratch),
        "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_VERSION_CHECK": "false",
    }
    dbt = str(Path(sys.executable).with_name("dbt"))
    try:
        completed = subprocess.run(
            [dbt, "parse", "--quiet"],
            cwd=DBT_PROJECT_DIR,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if completed.returncode != 0 or not (scratch / "manifest.json").exists():
            tail = "\n".join((completed.stdout + completed.stderr).strip().splitlines()[-20:])
            raise ManifestError(f"`dbt parse` failed (exit {completed.returncode}):\n{tail}")
        for name in ("partial_parse.msgpack", "manifest.json"):  # manifest last: it marks done
            if (scratch / name).exists():
                (scratch / name).replace(MANIFEST_DIR / name)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return MANIFEST_PATH


def ensure_manifest(settings: Settings | None = None) -> Path:
    """The manifest path, parsing the dbt project first only if the manifest is stale."""
    if manifest_is_stale():
        parse_project(settings)
    return MANIFEST_PATH


if __name__ == "__main__":  # the deploy step: build the manifest before shipping
    print(parse_project())
