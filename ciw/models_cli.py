"""``ciw models``: list the registered model versions, promote one by hand, roll back.

The registry (``ml/registry/``) decides champions after each training; these commands are how a
person looks at that decision and overrides it. Registry errors end as one line,
``ciw: error: ...``, like every other user error of the command line.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from ciw.options import CommandError, target_option
from ml.contracts import MODEL_SPECS
from warehouse.settings import Settings

if TYPE_CHECKING:
    from ml.registry import ModelRegistry, ModelVersion

LIST_HEADINGS = (
    "model",
    "version",
    "candidate",
    "status",
    "created",
    "metric",
    "value",
    "baseline",
    "training",
    "note",
)


class ModelsError(CommandError):
    """A registry request the user can fix; shown as ``ciw: error: <message>``."""


_model_choice = click.Choice(sorted(MODEL_SPECS))


@contextmanager
def _registry(target: str | None) -> Iterator[ModelRegistry]:
    """The registry of the chosen warehouse; its one-line errors become ``ciw: error``."""
    from ml.registry import ModelRegistry, RegistryError
    from warehouse import WarehouseUnavailable
    from warehouse.settings import SettingsError

    try:
        yield ModelRegistry(Settings.from_env(target))
    except (RegistryError, SettingsError, WarehouseUnavailable) as error:
        raise ModelsError(str(error)) from None


def _number(value: float | None) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.4f}"


def version_rows(versions: Sequence[ModelVersion]) -> list[tuple[str, ...]]:
    """One text row per version, in LIST_HEADINGS order."""
    return [
        (
            version.model_name,
            version.version,
            str(version.params.get("champion") or version.params.get("estimator") or "-"),
            version.status,
            version.created_at.strftime("%Y-%m-%d %H:%M"),
            version.primary_metric,
            _number(version.primary_metric_value),
            _number(version.baseline_metric_value),
            f"{version.training_window[0]}..{version.training_window[1]}",
            version.note,
        )
        for version in versions
    ]


def format_table(headings: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Plain aligned columns: readable in a terminal, greppable in a runbook."""
    widths = [max(len(cell) for cell in column) for column in zip(headings, *rows, strict=True)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True))
        for line in (headings, *rows)
    ]
    return "\n".join(line.rstrip() for line in lines)


def _describe(version: ModelVersion) -> str:
    return (
        f"{version.model_name} {version.version} "
        f"({version.primary_metric} {_number(version.primary_metric_value)}, "
        f"baseline {_number(version.baseline_metric_value)})"
    )


@click.group("models")
def models_group() -> None:
    """The model registry: versions, champions, manual promotion and rollback.

    Every trained version is kept with its training window, data fingerprint, features,
    parameters, metrics and plots; ml.model_registry lists them.
    """


@models_group.command("list")
@click.option("--model", "model_name", type=_model_choice, default=None, help="Only this model.")
@target_option
def list_versions(model_name: str | None, target: str | None) -> None:
    """List versions, their status and holdout metric vs baseline.

    One row per version, newest first per model: status (champion, challenger, retired),
    created (UTC), the primary holdout metric beside the baseline's, the training window, and
    why a version was not crowned when it lost to its rule baseline.
    """
    with _registry(target) as registry:
        versions = registry.versions(model_name)
        reasons = not_trained_lines(registry.root, model_name)
        if not versions:
            where = registry.settings.describe()
            click.echo(f"no model versions registered in {where}; `ciw run` trains them")
        else:
            click.echo(format_table(LIST_HEADINGS, version_rows(versions)))
        for line in reasons:
            click.echo(line)


def not_trained_lines(registry_root: Any, model_name: str | None) -> list[str]:
    """Why a model, or one of its candidates, did not train in its latest training."""
    from ml.selection import read_last_training

    lines: list[str] = []
    for name in [model_name] if model_name else list(MODEL_SPECS):
        record = read_last_training(registry_root, name)
        if record is None:
            continue
        if not record.get("trained", True):
            lines.append(f"{name}: not trained: {record.get('reason') or 'no reason recorded'}")
            continue
        for candidate, reason in sorted((record.get("not_trained") or {}).items()):
            lines.append(f"{name}: candidate {candidate} not trained: {reason}")
        if record.get("chosen"):
            lines.append(
                f"{name}: last training chose {record['chosen']}: "
                f"{record.get('chosen_because', '')}"
            )
    return lines


@models_group.command()
@click.argument("model_name", metavar="MODEL", type=_model_choice)
@click.argument("version")
@target_option
def promote(model_name: str, version: str, target: str | None) -> None:
    """Make VERSION the champion of MODEL by hand.

    VERSION may be a unique prefix. The current champion is retired; scoring uses the new
    champion from its next run; `ciw models rollback MODEL` undoes this.
    """
    with _registry(target) as registry:
        before = registry.champion(model_name)
        promoted = registry.promote(model_name, version)
    if before is not None and before.version == promoted.version:
        click.echo(f"{_describe(promoted)} is already the champion")
        return
    replaced = f"; {before.version} retired" if before is not None else ""
    click.echo(f"champion is now {_describe(promoted)}{replaced}")


@models_group.command()
@click.argument("model_name", metavar="MODEL", type=_model_choice)
@target_option
def rollback(model_name: str, target: str | None) -> None:
    """Put MODEL's previous champion back.

    The current champion is retired. Each rollback walks one champion further back.
    """
    with _registry(target) as registry:
        before = registry.champion(model_name)
        restored = registry.rollback(model_name)
    retired = f"; {before.version} retired" if before is not None else ""
    click.echo(f"rolled back: champion is now {_describe(restored)}{retired}")
