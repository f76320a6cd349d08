"""Loading an export directory: discover, validate every file, check across files, then write.

Nothing is written until every file has been read, validated and checked, so a file that is
unreadable or too dirty (above the bad-share limit) stops the whole load with nothing loaded.
Each file then commits on its own transaction, keyed by its content hash.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Collection
from pathlib import Path

from sources.contract import raw_tables
from sources.load.checks import (
    check_bad_share,
    flag_duplicate_keys,
    flag_orphans,
    mark_unchanged,
)
from sources.load.discover import batch_id_of, discover_exports
from sources.load.mapping import Mapping
from sources.load.read import stage_file
from sources.load.report import FileLoad, LoadError, LoadReport
from sources.load.sinks import Batch, open_sink, utc_now
from sources.load.validate import Validated, validate_staged
from warehouse.settings import Settings

logger = logging.getLogger(__name__)

#: ``progress(message, files_done, files_total)``: called before each file (files_done is the
#: number finished so far) and once at the end with files_done == files_total.
ProgressCallback = Callable[[str, int, int], None]

#: Default share of a file's rows that may be quarantined before the whole load fails.
DEFAULT_MAX_BAD_SHARE = 0.20


def max_bad_share_from_env() -> float:
    """``CIW_MAX_BAD_SHARE`` (0..1), else :data:`DEFAULT_MAX_BAD_SHARE`."""
    text = os.environ.get("CIW_MAX_BAD_SHARE")
    if text is None or not text.strip():
        return DEFAULT_MAX_BAD_SHARE
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 1:
        raise LoadError(f"CIW_MAX_BAD_SHARE must be a share between 0 and 1, got {text!r}")
    return value


def load_directory(
    directory: Path,
    settings: Settings,
    progress: ProgressCallback | None = None,
    *,
    mapping: Mapping | None = None,
    max_bad_share: float | None = None,
    sources: Collection[str] | None = None,
) -> LoadReport:
    """Load every export file under ``directory`` into the raw tables of ``settings.target``.

    Creates all raw tables first (every source is optional). See the module docs for the order
    of work; :mod:`sources.load.checks` for the rules across rows and files.
    """
    limit = max_bad_share_from_env() if max_bad_share is None else max_bad_share
    exports = discover_exports(Path(directory), mapping, sources)
    sink = open_sink(settings)
    connection = sink.validator
    tables = raw_tables()
    total = len(exports) * 2
    batches: list[Batch] = []
    by_table: dict[str, list[Validated]] = {}
    try:
        for index, export in enumerate(exports):
            if progress:
                progress(f"checking {export.source_file}", index, total)
            started = utc_now()
            staged = stage_file(connection, export, sink.scratch, index)
            validated = validate_staged(connection, export, staged, f"_ciw_valid_{index}", started)
            batch_id = batch_id_of(export.path)

            def lookup(
                table: object, column: str, keys: str, into: str, _id: str = batch_id
            ) -> None:
                sink.lookup(table, column, keys, into, _id)  # type: ignore[arg-type]

            table = export.table
            flag_duplicate_keys(connection, validated, table)
            flag_orphans(connection, validated, table, by_table, lookup, tables)
            mark_unchanged(connection, validated, table, by_table.get(table.key, []), lookup)
            check_bad_share(connection, export, validated, limit)
            by_table.setdefault(table.key, []).append(validated)
            batches.append(Batch(table, export.source_file, batch_id, started, validated))
        files: list[FileLoad] = []
        for done, batch in enumerate(batches, start=len(batches)):
            if progress:
                progress(f"{batch.table.key} <- {batch.source_file}", done, total)
            result = sink.write(batch)
            logger.info(
                "%s: %d rows read, %d loaded, %d quarantined, %d unchanged into %s",
                batch.source_file,
                result.rows_read,
                result.rows_loaded,
                result.rows_quarantined,
                result.rows_unchanged,
                batch.table.relation,
            )
            files.append(result)
    finally:
        sink.close()
    if progress:
        progress("done", total, total)
    return LoadReport(tuple(files))
