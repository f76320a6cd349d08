"""What a load returns, and the one error users see."""

from __future__ import annotations

from dataclasses import dataclass


class LoadError(Exception):
    """A load problem for the user: one readable line naming the file (and row/column)."""


@dataclass(frozen=True)
class FileLoad:
    """The outcome of loading one export file into one raw table."""

    table_key: str
    source_file: str
    batch_id: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    extra_columns: tuple[str, ...]
    #: Rows already in the warehouse with the same key and values: not loaded again.
    rows_unchanged: int = 0


@dataclass(frozen=True)
class LoadReport:
    """Every file of one load, in load order."""

    files: tuple[FileLoad, ...]

    @property
    def rows_read(self) -> int:
        return sum(file.rows_read for file in self.files)

    @property
    def rows_loaded(self) -> int:
        return sum(file.rows_loaded for file in self.files)

    @property
    def rows_quarantined(self) -> int:
        return sum(file.rows_quarantined for file in self.files)

    @property
    def rows_unchanged(self) -> int:
        return sum(file.rows_unchanged for file in self.files)

    @property
    def tables(self) -> tuple[str, ...]:
        """The raw tables that received at least one file, sorted."""
        return tuple(sorted({file.table_key for file in self.files}))
