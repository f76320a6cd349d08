"""``ciw generate`` and ``ciw load``: realistic exports written, exports validated and loaded.

Kept apart from ``ciw.cli`` (which adds these commands); the generator and the loader are
imported inside the commands, so ``ciw --help`` stays fast.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from ciw.options import progress_bar, table_console, target_option
from warehouse.settings import Settings


@click.command()
@click.option(
    "--customers",
    type=click.IntRange(min=10),
    default=2_000,
    show_default=True,
    help="Scale knob: number of commerce customers; accounts, deals, tickets and events follow.",
)
@click.option(
    "--seed", type=int, default=42, show_default=True, help="Random seed: same seed, same files."
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("data/sample_exports"),
    show_default=True,
    help="Folder to write the exports to.",
)
@click.option(
    "--end-date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Last day of data (YYYY-MM-DD). Default: today (UTC).",
)
@click.option(
    "--history-days",
    type=click.IntRange(min=28),
    default=730,
    show_default=True,
    help="Days of history before the end date (e.g. 274 for a 9-month shop).",
)
@click.option(
    "--dirty-share",
    type=click.FloatRange(0, 0.5),
    default=0.01,
    show_default=True,
    help="Share of dirty rows per table (null keys, duplicates, bad values).",
)
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["mixed", "csv", "parquet"]),
    default="mixed",
    show_default=True,
    help="mixed: CRM, support and billing as CSV; product and commerce as Parquet.",
)
@target_option
def generate(
    customers: int,
    seed: int,
    out_dir: Path,
    end_date: dt.datetime | None,
    history_days: int,
    dirty_share: float,
    file_format: str,
    target: str | None,
) -> None:
    """Write realistic source exports (CSV and Parquet) for every source system.

    --target is accepted for uniformity; generating only writes files.
    """
    from sources.generate import GeneratorConfig
    from sources.generate import generate as generate_exports

    config = GeneratorConfig(
        customers=customers,
        seed=seed,
        end_date=end_date.date() if end_date else None,
        history_days=history_days,
        dirty_share=dirty_share,
        file_format=file_format,  # type: ignore[arg-type]
    )
    with progress_bar("generating") as progress:
        counts = generate_exports(out_dir, config, progress)
    total = sum(counts.values())
    click.echo(f"wrote {total:,} rows in {len(counts)} tables to {out_dir}")


@click.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option(
    "--mapping",
    "mapping_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Mapping YAML: file patterns to tables, column renames, formats (docs/loading.md).",
)
@click.option(
    "--max-bad-share",
    type=click.FloatRange(0, 1),
    default=None,
    help="Share of a file's rows that may be quarantined before the load fails whole. "
    "Default: $CIW_MAX_BAD_SHARE, else 0.2.",
)
@target_option
def load(
    directory: Path, mapping_file: Path | None, max_bad_share: float | None, target: str | None
) -> None:
    """Validate export files in DIRECTORY and load them into the raw layer.

    Files are found by the mapping's patterns, else as DIRECTORY/<source>/<table>*.csv|parquet|
    jsonl. Rows that fail validation go to raw_meta.quarantine with the reason;
    raw_meta.load_audit balances every file.
    """
    from sources.load import load_directory, load_mapping
    from warehouse.locks import exclusive_run

    settings = Settings.from_env(target)
    mapping = load_mapping(mapping_file) if mapping_file is not None else None
    with exclusive_run(settings, "ciw load"), progress_bar("loading") as progress:
        report = load_directory(
            directory, settings, progress, mapping=mapping, max_bad_share=max_bad_share
        )
    _print_load_report(report, settings)


def _print_load_report(report: Any, settings: Settings) -> None:
    from rich.table import Table

    table = Table(title=f"Loaded into {settings.describe()}")
    headings = ("table", "files", "read", "loaded", "quarantined", "unchanged")
    for heading in headings:
        table.add_column(heading, justify="left" if heading == "table" else "right")
    per_table: dict[str, list[int]] = {}
    for file_load in report.files:
        totals = per_table.setdefault(file_load.table_key, [0, 0, 0, 0, 0])
        totals[0] += 1
        totals[1] += file_load.rows_read
        totals[2] += file_load.rows_loaded
        totals[3] += file_load.rows_quarantined
        totals[4] += file_load.rows_unchanged
    for key, (files, read, loaded, quarantined, unchanged) in sorted(per_table.items()):
        table.add_row(
            key, str(files), f"{read:,}", f"{loaded:,}", f"{quarantined:,}", f"{unchanged:,}"
        )
    table_console().print(table)
    if report.rows_quarantined:
        click.echo(
            f"{report.rows_quarantined:,} rows quarantined: see raw_meta.quarantine for the reasons"
        )
    if report.rows_unchanged:
        click.echo(f"{report.rows_unchanged:,} rows were already loaded unchanged and were skipped")
    if note := report.duplicate_lines_note():
        click.echo(note)
