"""The raw-table contract, read from the dbt sources YAML.

The sources YAML in ``dbt_project/models/staging/<source>/_<source>__sources.yml`` is the one
place that declares every raw table: its columns, their types, which are required and which
is the key. The generator writes these columns, the loader creates and validates against them,
and dbt staging reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from warehouse.paths import DBT_PROJECT_DIR

#: Load metadata added to every raw row, with their warehouse types.
METADATA_COLUMNS: dict[str, str] = {
    "_batch_id": "varchar",
    "_source_file": "varchar",
    "_source_row": "bigint",
    "_loaded_at": "timestamp",
}


@dataclass(frozen=True)
class Column:
    name: str
    data_type: str
    description: str = ""
    required: bool = False
    sensitive: bool = False


@dataclass(frozen=True)
class RawTable:
    source: str
    name: str
    schema: str
    primary_key: str
    columns: tuple[Column, ...]
    description: str = ""

    @property
    def key(self) -> str:
        """``<source>.<table>``, the name users and files know the table by."""
        return f"{self.source}.{self.name}"

    @property
    def relation(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.key} has no column {name!r}")


def _read_source_file(path: Path) -> list[RawTable]:
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    tables: list[RawTable] = []
    for source in document.get("sources", []):
        for table in source.get("tables", []):
            columns = tuple(
                Column(
                    name=column["name"],
                    data_type=column["data_type"],
                    description=column.get("description", ""),
                    required=bool(column.get("meta", {}).get("required", False)),
                    sensitive=bool(column.get("meta", {}).get("sensitive", False)),
                )
                for column in table.get("columns", [])
            )
            tables.append(
                RawTable(
                    source=source["name"],
                    name=table["name"],
                    schema=source["schema"],
                    primary_key=table["meta"]["primary_key"],
                    columns=columns,
                    description=table.get("description", ""),
                )
            )
    return tables


@cache
def raw_tables(project_dir: Path = DBT_PROJECT_DIR) -> dict[str, RawTable]:
    """Every raw table declared in the dbt sources YAML, keyed ``<source>.<table>``."""
    found: dict[str, RawTable] = {}
    for path in sorted((project_dir / "models" / "staging").glob("*/_*__sources.yml")):
        for table in _read_source_file(path):
            found[table.key] = table
    return found


def raw_table(key: str) -> RawTable:
    """One raw table by ``<source>.<table>``; a clear error for an unknown name."""
    tables = raw_tables()
    if key not in tables:
        known = ", ".join(sorted(tables))
        raise KeyError(f"unknown raw table {key!r}; known tables: {known}")
    return tables[key]
