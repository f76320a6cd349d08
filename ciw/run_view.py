"""What ``ciw run`` shows: a live progress view per layer, and the full log in a file.

:func:`quiet_terminal` sends everything the process and its children write (dbt, Dagster,
Feast, LightGBM, third-party warnings) to the run's log file at the file-descriptor level, and
hands back a stream to the real terminal for the progress view. ``ciw run -v`` skips both.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from orchestration.run_events import RunEvent

#: Run logs kept in ``<artifacts>/logs``; older ones are removed.
KEPT_RUN_LOGS = 20
LAYER_ORDER = ("raw", "staging", "intermediate", "features", "marts")


def new_log_path(folder: Path, now: datetime | None = None) -> Path:
    """``run-20261204-061500.log`` in ``folder``; the oldest logs beyond the last 20 go."""
    folder.mkdir(parents=True, exist_ok=True)
    old = sorted(folder.glob("run-*.log"))
    for stale in old[: max(0, len(old) - (KEPT_RUN_LOGS - 1))]:
        stale.unlink(missing_ok=True)
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    return folder / f"run-{stamp}.log"


@contextlib.contextmanager
def quiet_terminal(log_path: Path) -> Iterator[TextIO]:
    """Route file descriptors 1 and 2 to ``log_path`` for the block; yield the terminal."""
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    saved = {fd: os.dup(fd) for fd in (1, 2)}
    terminal = os.fdopen(os.dup(saved[2]), "w", buffering=1, encoding="utf-8", errors="replace")
    log = log_path.open("ab")
    try:
        for fd in (1, 2):
            os.dup2(log.fileno(), fd)
        yield terminal
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        for fd, copy in saved.items():
            os.dup2(copy, fd)
            os.close(copy)
        log.close()
        terminal.close()


def _group_rank(group: str) -> tuple[int, str]:
    return (LAYER_ORDER.index(group), group) if group in LAYER_ORDER else (len(LAYER_ORDER), group)


@dataclass
class RunProgress:
    """Counts per asset group, fed by run events; rendered by :class:`ProgressView`."""

    groups: Mapping[str, str]  # asset key -> group
    started: float = field(default_factory=time.monotonic)
    built: Counter[str] = field(default_factory=Counter)
    checks_passed: Counter[str] = field(default_factory=Counter)
    checks_failed: Counter[str] = field(default_factory=Counter)
    failed_steps: list[str] = field(default_factory=list)
    current_step: str | None = None

    @property
    def totals(self) -> Counter[str]:
        return Counter(self.groups.values())

    def update(self, event: RunEvent) -> None:
        group = self.groups.get(event.asset_key or "", "default")
        if event.kind == "step_started":
            self.current_step = event.step
        elif event.kind == "step_failed" and event.step:
            self.failed_steps.append(event.step)
        elif event.kind == "materialized":
            self.built[group] += 1
        elif event.kind == "check":
            (self.checks_passed if event.passed else self.checks_failed)[group] += 1

    def elapsed(self) -> str:
        seconds = int(time.monotonic() - self.started)
        return f"{seconds // 60}:{seconds % 60:02d}"

    def rows(self) -> list[tuple[str, str, str, str]]:
        """(layer, built of total, checks passed, checks failed) in layer order."""
        return [
            (
                group,
                f"{self.built[group]}/{total}",
                str(self.checks_passed[group]),
                str(self.checks_failed[group]),
            )
            for group, total in sorted(self.totals.items(), key=lambda item: _group_rank(item[0]))
        ]


class ProgressView:
    """A live table on a terminal; one line per step on anything else (CI logs, pipes)."""

    def __init__(self, progress: RunProgress, terminal: TextIO, title: str) -> None:
        from rich.console import Console

        self.progress = progress
        self.console = Console(file=terminal, highlight=False)
        self.title = title
        self._live: Any = None

    def render(self) -> Any:
        from rich.table import Table

        table = Table(title=self.title, caption=self._caption(), caption_justify="left")
        for heading in ("layer", "built", "checks ok", "checks failed"):
            table.add_column(heading, justify="left" if heading == "layer" else "right")
        for layer, built, passed, failed in self.progress.rows():
            table.add_row(layer, built, passed, f"[red]{failed}[/red]" if failed != "0" else failed)
        return table

    def _caption(self) -> str:
        step = self.progress.current_step or "starting"
        failed = f"; [red]failed: {', '.join(self.progress.failed_steps)}[/red]"
        return f"{self.progress.elapsed()}  now: {step}" + (
            failed if self.progress.failed_steps else ""
        )

    def __enter__(self) -> ProgressView:
        from rich.live import Live

        if self.console.is_terminal:
            self._live = Live(
                self.render(), console=self.console, refresh_per_second=4, transient=True
            )
            self._live.__enter__()
        else:
            self.console.print(self.title)
        return self

    def __call__(self, event: RunEvent) -> None:
        self.progress.update(event)
        if self._live is not None:
            self._live.update(self.render())
        elif event.kind in ("step_started", "step_failed"):
            verb = "started" if event.kind == "step_started" else "[red]failed[/red]"
            self.console.print(f"{self.progress.elapsed():>6} {verb} {event.step}")

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.__exit__(None, None, None)  # transient: the summary takes its place
