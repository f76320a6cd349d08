"""Finding export files: by the mapping's patterns, else ``<source>/<table>*.<suffix>``."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from sources.contract import RawTable, raw_tables
from sources.load.mapping import SUFFIX_FORMATS, FileRule, Mapping
from sources.load.report import LoadError

logger = logging.getLogger(__name__)

#: File suffixes the loader reads by default, lower case.
SUFFIXES = tuple(SUFFIX_FORMATS)
_BOUNDARY = "_-. "


@dataclass(frozen=True)
class Export:
    """One file to load: where it is, which rule reads it, and its format."""

    rule: FileRule
    path: Path
    source_file: str  # relative to the export directory, POSIX style
    file_format: str

    @property
    def table(self) -> RawTable:
        return self.rule.table


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


def _by_name(relative: str, path: Path) -> FileRule | None:
    parts = relative.split("/")
    if len(parts) != 2 or path.suffix.lower() not in SUFFIXES:
        return None
    tables = [table for table in raw_tables().values() if table.source == parts[0]]
    matched = _match_table(path.name[: -len(path.suffix)].lower(), tables)
    return FileRule(relative, matched) if matched else None


def discover_exports(
    directory: Path, mapping: Mapping | None = None, sources: Collection[str] | None = None
) -> list[Export]:
    """Every recognizable export file under ``directory``, in contract order then by name.

    ``sources`` keeps only the files of those source systems (all when None).
    A mapping's rules are tried first (first match wins), then the naming convention.
    Unrecognized files are skipped with a log warning. Raises :class:`LoadError` for a
    missing directory or one without any recognizable file.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise LoadError(f"export directory {directory} does not exist or is not a directory")
    rules = mapping.rules if mapping else ()
    found: list[Export] = []
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        relative = path.relative_to(directory).as_posix()
        if any(part.startswith(".") for part in relative.split("/")):
            continue
        rule = next((rule for rule in rules if rule.matches(relative)), None) or _by_name(
            relative, path
        )
        if rule is None:
            logger.warning("skipping %s: no mapping rule or table name matches it", relative)
            continue
        file_format = rule.format_of(path)
        if file_format is None:
            raise LoadError(
                f"{relative}: cannot tell the format from the suffix; set format: csv|parquet|jsonl"
            )
        if sources is None or rule.table.source in sources:
            found.append(Export(rule, path, relative, file_format))
    if not found:
        sources = ", ".join(sorted({table.source for table in raw_tables().values()}))
        raise LoadError(
            f"no export files found in {directory}; expected <source>/<table>.csv|parquet|jsonl "
            f"with a source among: {sources}, or a --mapping that matches the files"
        )
    order = {key: position for position, key in enumerate(raw_tables())}
    found.sort(key=lambda export: (order[export.table.key], export.source_file))
    return found


def batch_id_of(path: Path) -> str:
    """The content hash that identifies a file's batch: first 16 hex of its sha256."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()[:16]
