"""What a run built and where to look, printed at the end of ``ciw run``."""

from __future__ import annotations

from typing import Any

from warehouse.settings import Settings

LAYERS = ("staging", "intermediate", "features", "marts")


def run_title(result: Any) -> str:
    """What kind of run it was: the first (or a ``--train``) run trains the models."""
    from orchestration.schedules import FULL_JOB, SPARK_FULL_JOB

    if getattr(result, "job_name", "") in (FULL_JOB, SPARK_FULL_JOB):
        return "Full pipeline run (with training)"
    return "Daily pipeline run"


def print_pipeline_summary(settings: Settings, result: Any) -> None:
    """Per layer: assets materialized/skipped/failed and their checks; then where to look."""
    from collections import Counter

    from rich.table import Table

    from ciw.options import table_console

    console = table_console()
    table = Table(title=f"{run_title(result)} {result.run_id[:8]} on {settings.describe()}")
    for heading in ("layer", "assets", "built", "skipped", "failed", "checks ok", "warn", "fail"):
        table.add_column(heading, justify="left" if heading == "layer" else "right")
    groups: dict[str, Counter[str]] = {}
    for asset in result.assets:
        counts = groups.setdefault(asset.group or "default", Counter())
        counts["assets"] += 1
        counts[asset.status] += 1
        counts.update(f"check {outcome}" for outcome in asset.check_counts().elements())
    for group, counts in sorted(groups.items(), key=lambda item: _group_order(item[0])):
        table.add_row(
            group,
            *(
                str(counts[name])
                for name in (
                    "assets",
                    "materialized",
                    "skipped",
                    "failed",
                    "check passed",
                    "check warned",
                    "check failed",
                )
            ),
        )
    console.print(table)
    for asset in result.assets:
        if asset.status == "failed":
            console.print(f"[red]failed[/red] {asset.asset_key}")
        for check in asset.checks:
            if check.outcome == "failed":
                console.print(f"[red]check failed[/red] {asset.asset_key}: {check.name}")
    models = model_table(settings)
    if models is not None:
        console.print(models)
    untrained = not_trained(settings)
    for name, reason in untrained.items():
        console.print(f"[yellow]not trained[/yellow] {name}: {reason}", soft_wrap=True)
    for name, reason in kept_from_champion(settings).items():
        console.print(
            f"[yellow]no champion[/yellow] {name}: {reason}; its rule serves", soft_wrap=True
        )
    timing = timing_line(result)
    if timing:
        console.print(timing, soft_wrap=True)
    if settings.target == "spark":
        from orchestration.schedules import SPARK_LEAVES_OUT

        console.print(f"[yellow]not run[/yellow] {SPARK_LEAVES_OUT}", soft_wrap=True)
    console.print(outcome_line(result.success, len(untrained)))
    console.print(_where_to_look(settings), soft_wrap=True)


#: How many of the slowest steps the summary names.
SLOWEST_SHOWN = 4


def timing_line(result: Any) -> str:
    """The run's wall clock and its slowest steps: where an on-call engineer looks first when
    a run is slower than yesterday's (every step's time is in the Dagster UI)."""
    steps = getattr(result, "step_seconds", ())
    if not steps:
        return ""
    slowest = ", ".join(f"{step} {seconds:.1f}s" for step, seconds in steps[:SLOWEST_SHOWN])
    return f"took {_duration(getattr(result, 'wall_seconds', 0.0))}; slowest steps: {slowest}"


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m {rest:02d}s" if minutes else f"{rest}s"


def outcome_line(success: bool, untrained: int) -> str:
    """The run's last line: failed, succeeded, or succeeded with models left untrained."""
    if not success:
        return "[red]pipeline failed[/red]"
    if untrained:
        noun = "model" if untrained == 1 else "models"
        return f"[green]pipeline succeeded[/green]; {untrained} {noun} not trained (see above)"
    return "[green]pipeline succeeded[/green]"


def not_trained(settings: Settings) -> dict[str, str]:
    """Models whose latest training produced no version, with the reason it recorded."""
    from ml.contracts import MODEL_SPECS
    from ml.registry import registry_root
    from ml.selection import read_last_training

    root = registry_root(settings)
    found: dict[str, str] = {}
    for name in MODEL_SPECS:
        record = read_last_training(root, name)
        if record is not None and not record.get("trained", True):
            found[name] = str(record.get("reason") or "no reason recorded")
    return found


def kept_from_champion(settings: Settings) -> dict[str, str]:
    """Models that trained but have no champion (e.g. the candidate lost to its rule)."""
    from ml.contracts import MODEL_SPECS
    from ml.registry import ModelRegistry
    from ml.selection import read_last_training

    registry = ModelRegistry(settings)
    found: dict[str, str] = {}
    for name in MODEL_SPECS:
        record = read_last_training(registry.root, name)
        if record is not None and record.get("trained") and registry.champion(name) is None:
            found[name] = str(record.get("reason") or "the candidate was not crowned")
    return found


def model_rows(settings: Settings) -> list[tuple[str, ...]]:
    """Per model: the champion, its holdout metric beside the baseline's, the training window."""
    from ml.contracts import MODEL_SPECS
    from ml.registry import ModelRegistry

    registry = ModelRegistry(settings)
    rows: list[tuple[str, ...]] = []
    for name in MODEL_SPECS:
        champion = registry.champion(name)
        if champion is None:
            rows.append((name, "-", "no champion (reason below)", "", "", ""))
            continue
        metric = champion.primary_metric
        rows.append(
            (
                name,
                champion.version[:8],
                metric,
                _number(champion.primary_metric_value),
                _number(champion.baseline_metric_value),
                champion.baseline_name,
            )
        )
    return rows


def model_table(settings: Settings) -> Any:
    """The champion table, or None when the registry cannot be read (e.g. nothing ran)."""
    from rich.table import Table

    try:
        rows = model_rows(settings)
    except Exception:  # a summary must never hide the run's own outcome
        return None
    table = Table(title="Models (champions; holdout metric beside the baseline)")
    for heading in ("model", "champion", "metric", "holdout", "baseline", "baseline model"):
        table.add_column(
            heading,
            justify="right" if heading in ("holdout", "baseline") else "left",
            no_wrap=heading in ("model", "champion", "metric"),
        )
    for row in rows:
        table.add_row(*row)
    return table


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def _group_order(group: str) -> tuple[int, str]:
    order = ("raw", *LAYERS, "feature_store", "ml")
    return (order.index(group) if group in order else len(order), group)


def _where_to_look(settings: Settings) -> Any:
    target_flag = "" if settings.target == "duckdb" else f" --target {settings.target}"
    lines = [
        "[bold]Where to look[/bold]",
        f"  warehouse     {settings.describe()} (schemas staging, marts; raw_* and raw_meta below)",
        "  quarantine    raw_meta.quarantine (rows that failed validation, with the reason)",
        f"  lineage docs  .venv/bin/ciw docs --serve{target_flag}  (models, columns, lineage)",
        f"  asset health  .venv/bin/ciw ui{target_flag}  (Dagster: assets by layer, checks, runs)",
        "  scores        marts.customer_risk_scores, account_risk_scores, deal_risk_scores",
        f"  models        .venv/bin/ciw models list{target_flag}  (versions, metrics vs baseline)",
        *(
            ["  alerts        marts.alerts (delivered from DuckDB or PostgreSQL)"]
            if settings.target == "spark"
            else [
                f"  alerts        marts.alerts; .venv/bin/ciw notify --dry-run{target_flag}",
                f"  CRM           ops.crm_writeback; .venv/bin/ciw crm push --dry-run{target_flag}",
            ]
        ),
        f"  files         {settings.artifacts_dir} (registry, drift reports, Slack outbox)",
        f"  benchmark     .venv/bin/ciw bench --customers 10000{target_flag}",
    ]
    return "\n".join(lines)
