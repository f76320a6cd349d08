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
    #: Lines identical to an earlier line of the file (derived key): kept as their own rows.
    duplicates_kept: int = 0
    #: Such lines quarantined under ``duplicates: quarantine``.
    duplicates_quarantined: int = 0


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
    def duplicates_kept(self) -> int:
        return sum(file.duplicates_kept for file in self.files)

    @property
    def duplicates_quarantined(self) -> int:
        return sum(file.duplicates_quarantined for file in self.files)

    def duplicate_lines_note(self) -> str | None:
        """A line for the screen about identical lines without an order id, if there were any."""
        kept, quarantined = self.duplicates_kept, self.duplicates_quarantined
        if not kept and not quarantined:
            return None
        parts = [f"{kept:,} kept as separate orders"] if kept else []
        parts += [f"{quarantined:,} quarantined (duplicates: quarantine)"] if quarantined else []
        return f"identical lines without an order id: {' and '.join(parts)}"

    @property
    def tables(self) -> tuple[str, ...]:
        """The raw tables that received at least one file, sorted."""
        return tuple(sorted({file.table_key for file in self.files}))
