"""The in-memory DuckDB that validates files for a warehouse other than a DuckDB file
(PostgreSQL, Spark), with the scratch folder the validated rows travel through."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from sources.load.read import literal
from warehouse.connections import scratch_duckdb

if TYPE_CHECKING:
    import duckdb


class ScratchValidator:
    """Validates in an in-memory DuckDB that spills to a scratch folder, and exports rows
    there in the format the warehouse reads (``export_options``: DuckDB's COPY options)."""

    export_options: ClassVar[str]

    def __init__(self) -> None:
        self._scratch = tempfile.TemporaryDirectory(prefix="ciw-load-")
        self.scratch = Path(self._scratch.name)
        try:
            self.duck: duckdb.DuckDBPyConnection = scratch_duckdb(self.scratch / "spill")
            self.duck.execute("set TimeZone = 'UTC'")
        except BaseException:
            self._scratch.cleanup()
            raise

    @property
    def validator(self) -> duckdb.DuckDBPyConnection:
        return self.duck

    def _export(self, select: str, name: str) -> tuple[Path, int]:
        """The rows of ``select`` in the scratch file ``name``, and how many there are."""
        target = self.scratch / name
        row: Any = self.duck.execute(
            f"copy ({select}) to {literal(str(target))} ({self.export_options})"
        ).fetchone()
        return target, int(row[0]) if row else 0

    def _close_validator(self) -> None:
        try:
            self.duck.close()
        finally:
            self._scratch.cleanup()
