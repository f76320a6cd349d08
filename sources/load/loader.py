"""Loading an export directory: discover, check every header, then one file at a time."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from ciw.settings import Settings
from sources.load.discover import batch_id_of, discover_exports
from sources.load.report import FileLoad, LoadReport
from sources.load.sinks import Batch, DuckDBSink, PostgresSink, utc_now
from sources.load.validate import inspect_file, validate_file

logger = logging.getLogger(__name__)

#: ``progress(message, files_done, files_total)``: called before each file (files_done is the
#: number finished so far) and once at the end with files_done == files_total.
ProgressCallback = Callable[[str, int, int], None]


def _relative(path: Path, directory: Path) -> str:
    return path.resolve().relative_to(directory.resolve()).as_posix()


def load_directory(
    directory: Path, settings: Settings, progress: ProgressCallback | None = None
) -> LoadReport:
    """Load every export file under ``directory`` into the raw tables of ``settings.target``.

    Creates all raw tables first (every source is optional). Every file's header is checked
    before anything is written, so a missing required column stops the load up front. Each
    file then commits on its own; a :class:`LoadError` mid-way leaves earlier files loaded.
    """
    import duckdb

    directory = Path(directory)
    exports = discover_exports(directory)
    planned = [(table, path, _relative(path, directory)) for table, path in exports]
    probe = duckdb.connect()
    try:
        for table, path, source_file in planned:
            inspect_file(probe, table, path, source_file)
    finally:
        probe.close()

    sink: DuckDBSink | PostgresSink = (
        DuckDBSink(settings) if settings.target == "duckdb" else PostgresSink(settings)
    )
    files: list[FileLoad] = []
    total = len(planned)
    try:
        for done, (table, path, source_file) in enumerate(planned):
            if progress:
                progress(f"{table.key} <- {source_file}", done, total)
            batch = Batch(table, source_file, batch_id_of(path), utc_now())
            validated = validate_file(sink.validator, table, path, source_file)
            result = sink.write(batch, validated)
            logger.info(
                "%s: %d rows read, %d loaded, %d quarantined into %s",
                source_file,
                result.rows_read,
                result.rows_loaded,
                result.rows_quarantined,
                table.relation,
            )
            files.append(result)
    finally:
        sink.close()
    if progress:
        progress("done", total, total)
    return LoadReport(tuple(files))
