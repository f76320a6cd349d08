"""Finding export files: ``DIR/<source>/<table>*.csv|parquet``."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from sources.contract import RawTable, raw_tables
from sources.load.report import LoadError

logger = logging.getLogger(__name__)

#: File suffixes the loader reads, lower case.
SUFFIXES = (".csv", ".parquet")
_BOUNDARY = "_-. "


def _match_table(stem: str, tables: list[RawTable]) -> RawTable | None:
    """The table whose name is the longest prefix of ``stem`` at a word boundary."""
    best: RawTable | None = None
    for table in tables:
        name = table.name
        at_boundary = stem == name or (
            stem.startswith(name) and (stem[len(name)] in _BOUNDARY or stem[len(name)].isdigit())
        )
        if at_boundary and (best is None or len(name) > len(best.name)):
            best = table
    return best


def discover_exports(directory: Path) -> list[tuple[RawTable, Path]]:
    """Every recognizable export file under ``directory``, in contract order then by name.

    Unknown sources, unknown tables and other suffixes are skipped with a log warning.
    Raises :class:`LoadError` for a missing directory or one without any recognizable file.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise LoadError(f"export directory {directory} does not exist or is not a directory")
    contract = list(raw_tables().values())
    by_source: dict[str, list[RawTable]] = {}
    for table in contract:
        by_source.setdefault(table.source, []).append(table)
    order = {table.key: position for position, table in enumerate(contract)}

    found: list[tuple[RawTable, Path]] = []
    for source_dir in sorted(p for p in directory.iterdir() if p.is_dir()):
        tables = by_source.get(source_dir.name)
        if tables is None:
            if not source_dir.name.startswith("."):
                logger.warning("skipping %s: not a known source", source_dir)
            continue
        for path in sorted(source_dir.iterdir()):
            if path.name.startswith(".") or not path.is_file():
                continue
            if path.suffix.lower() not in SUFFIXES:
                logger.warning("skipping %s: not a .csv or .parquet file", path)
                continue
            matched = _match_table(path.name[: -len(path.suffix)].lower(), tables)
            if matched is None:
                logger.warning("skipping %s: no %s table matches its name", path, source_dir.name)
                continue
            found.append((matched, path))
    if not found:
        known = ", ".join(sorted(by_source))
        raise LoadError(
            f"no export files found in {directory}; expected <source>/<table>.csv|parquet "
            f"with a source among: {known}"
        )
    found.sort(key=lambda item: (order[item[0].key], item[1].name))
    return found


def batch_id_of(path: Path) -> str:
    """The content hash that identifies a file's batch: first 16 hex of its sha256."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()[:16]
