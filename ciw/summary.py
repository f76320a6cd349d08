"""What a run built and where to look, printed at the end of ``ciw run``."""

from __future__ import annotations

from typing import Any

from ciw.dbt import DbtResult
from ciw.settings import Settings

LAYERS = ("staging", "intermediate", "features", "marts")

_RELATIONS_SQL = """
select table_schema, table_name, table_type
from information_schema.tables
where table_schema in ('staging', 'intermediate', 'features', 'marts')
order by table_schema, table_name
"""


def warehouse_relations(settings: Settings) -> list[tuple[str, str, str]]:
    """(schema, name, type) of every relation the dbt layers built."""
    if settings.target == "duckdb":
        from ciw.warehouse import connect_duckdb

        with connect_duckdb(settings) as connection:
            return [tuple(row) for row in connection.execute(_RELATIONS_SQL).fetchall()]  # type: ignore[misc]
    from ciw.warehouse import connect_postgres

    with connect_postgres(settings) as connection:
        return [tuple(row) for row in connection.execute(_RELATIONS_SQL).fetchall()]  # type: ignore[misc]


def print_run_summary(settings: Settings, result: DbtResult) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    relations = warehouse_relations(settings)
    table = Table(title=f"Built in {settings.describe()}")
    table.add_column("layer")
    table.add_column("relations", justify="right")
    table.add_column("examples")
    for layer in LAYERS:
        names = [name for schema, name, _ in relations if schema == layer]
        examples = ", ".join(names[:4]) + (" …" if len(names) > 4 else "")
        table.add_row(layer, str(len(names)), examples)
    console.print(table)
    console.print(f"dbt: {result.summary()}")
    console.print(_where_to_look(settings))


def _where_to_look(settings: Settings) -> Any:
    target_flag = "" if settings.target == "duckdb" else " --target postgres"
    lines = [
        "[bold]Where to look[/bold]",
        f"  warehouse     {settings.describe()} (schemas staging, marts; raw_* and raw_meta below)",
        "  quarantine    raw_meta.quarantine (rows that failed validation, with the reason)",
        f"  lineage docs  .venv/bin/ciw docs --serve{target_flag}  (models, columns, lineage)",
        f"  benchmark     .venv/bin/ciw bench --customers 10000{target_flag}",
    ]
    return "\n".join(lines)
