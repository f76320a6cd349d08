"""What every ``ciw`` command shares: the ``--target`` option, a progress bar, one-line errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any

import click

from warehouse.settings import TARGETS

ProgressCallback = Callable[[str, int, int], None]


class CommandError(click.ClickException):
    """A user error of a command, shown as one ``ciw: error: <message>`` line."""

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"ciw: error: {self.format_message()}", err=True, file=file)


def target_option(function: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--target",
        type=click.Choice(TARGETS),
        default=None,
        help="Warehouse to use. Default: $CIW_TARGET, else duckdb.",
    )(function)


def announce(what: str, *, dry_run: bool) -> None:
    """Say on stderr what the command is about to do, marked when it is a dry run."""
    click.echo(what + (" (dry run)" if dry_run else ""), err=True)


@contextmanager
def progress_bar(description: str) -> Iterator[ProgressCallback]:
    """A progress bar on stderr fed by ``callback(item, done, total)``."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[item]}"),
        TimeElapsedColumn(),
        transient=True,
    ) as progress:
        task = progress.add_task(description, total=None, item="")

        def callback(item: str, done: int, total: int) -> None:
            progress.update(task, completed=done, total=total, item=item)

        yield callback


#: Columns of a table printed into a pipe or a file (CI logs, ``ciw run | tee``): rich would
#: squeeze a table to 80 and cut its numbers to "0.…".
PIPE_WIDTH = 160


def table_console() -> Any:
    """A rich console for tables: the terminal's width, or ``PIPE_WIDTH`` when the output is
    not a terminal."""
    from rich.console import Console

    console = Console()
    return console if console.is_terminal else Console(width=PIPE_WIDTH)
