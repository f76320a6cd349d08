"""The raw loader: CSV/Parquet/JSON-lines exports into the raw schemas of the chosen warehouse.

Files arrive as ``DIR/<source>/<table>*.csv|parquet``. Every file is read and validated by
DuckDB against the contract in the dbt sources YAML (:mod:`sources.contract`): values are cast
to their declared types, rows with a missing required value or a value that does not cast go to
``raw_meta.quarantine`` with the reason, and the good rows land in ``raw_<source>.<table>``
with load metadata. One transaction per file, keyed by a content hash (``_batch_id``), makes a
re-load of the same file idempotent; ``raw_meta.load_audit`` records what each file gave.
"""

from __future__ import annotations

from sources.load.ddl import AUDIT_RELATION, QUARANTINE_RELATION, ensure_raw_tables
from sources.load.discover import batch_id_of, discover_exports
from sources.load.loader import DEFAULT_MAX_BAD_SHARE, ProgressCallback, load_directory
from sources.load.mapping import Mapping, load_mapping
from sources.load.report import FileLoad, LoadError, LoadReport

__all__ = [
    "AUDIT_RELATION",
    "DEFAULT_MAX_BAD_SHARE",
    "QUARANTINE_RELATION",
    "FileLoad",
    "LoadError",
    "LoadReport",
    "Mapping",
    "ProgressCallback",
    "batch_id_of",
    "discover_exports",
    "ensure_raw_tables",
    "load_directory",
    "load_mapping",
]
