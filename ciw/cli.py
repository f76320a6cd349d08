"""``ciw``: the one entry point. It calls dbt, Dagster and Feast underneath.

Heavy libraries are imported inside the commands that need them, so ``ciw --help`` is instant.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from typing import Any

import click

from ciw.options import progress_bar, target_option
from warehouse.settings import Settings, SettingsError


class PipelineFailed(RuntimeError):
    """The pipeline ran but an asset or a blocking check failed; the summary says which."""

    def __init__(self, result: Any) -> None:
        failed = [asset.asset_key for asset in result.assets if asset.status == "failed"]
        checks = result.failed_blocking_checks
        detail = ", ".join((failed + checks)[:5]) or "see the run in `ciw ui`"
        super().__init__(f"pipeline run {result.run_id} failed: {detail}")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="customer-intelligence-warehouse")
def cli() -> None:
    """Customer Intelligence Warehouse: sources to features, models, marts and alerts.

    Start with `ciw generate`, `ciw load` and `ciw run`; `ciw bench` measures each stage.
    """


@cli.command()
@click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Run as it would have run on this date: only data before it counts.",
)
@click.option(
    "--exports",
    "exports_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help=(
        "Landing folder of the day's exports to load first. "
        "Default: $CIW_EXPORTS_DIR, else none (run over the raw layer as it is)."
    ),
)
@click.option(
    "--train/--no-train",
    default=None,
    help="Also train every model (default: only on a warehouse whose models were never trained; "
    "afterwards the monthly schedule, the retraining sensor or `ciw train` retrain).",
)
@click.option(
    "-v", "--verbose", is_flag=True, help="Show every dbt and Dagster line instead of progress."
)
@target_option
def run(
    as_of: dt.datetime | None,
    exports_dir: Path | None,
    train: bool | None,
    verbose: bool,
    target: str | None,
) -> None:
    """Run the daily pipeline in process: raw loads, every dbt model and test, as Dagster assets.

    Sources whose export files are absent are skipped; what raw already holds still counts.
    The screen shows progress per layer and a summary; the full log goes to a file.
    """
    _run_command(as_of.date() if as_of else None, exports_dir, train, verbose, target)


@cli.command()
@click.option(
    "-v", "--verbose", is_flag=True, help="Show every dbt and Dagster line instead of progress."
)
@target_option
def train(verbose: bool, target: str | None) -> None:
    """Retrain every model now: the daily pipeline with training sets, training, registration
    (a challenger is crowned only when it beats the champion), scoring and the scored marts."""
    _run_command(None, None, True, verbose, target)


def _run_command(
    as_of: dt.date | None,
    exports_dir: Path | None,
    train: bool | None,
    verbose: bool,
    target: str | None,
) -> None:
    from ciw.summary import print_pipeline_summary
    from warehouse.connections import preflight
    from warehouse.locks import exclusive_run

    settings = Settings.from_env(target)
    if exports_dir is not None and not exports_dir.is_dir():
        raise FileNotFoundError(f"export folder not found: {exports_dir}")
    with exclusive_run(settings, "ciw train" if train else "ciw run"):
        preflight(settings)
        if verbose:
            from orchestration.launch import run_pipeline

            click.echo(f"running the pipeline on {settings.describe()}", err=True)
            result = run_pipeline(settings, exports_dir, as_of=as_of, train=train)
            log_path = None
        else:
            result, log_path = _run_quietly(settings, exports_dir, as_of, train)
    print_pipeline_summary(settings, result)
    if log_path is not None:
        click.echo(f"full log: {log_path}")
    if not result.success:
        raise PipelineFailed(result)


def _run_quietly(
    settings: Settings, exports_dir: Path | None, as_of: dt.date | None, train: bool | None
) -> tuple[Any, Path]:
    """The run behind a progress view; everything it prints goes to a log file."""
    from ciw.run_view import ProgressView, RunProgress, new_log_path, quiet_terminal

    log_path = new_log_path(settings.artifacts_dir / "logs")
    click.echo(f"running the pipeline on {settings.describe()}; log: {log_path}", err=True)
    with quiet_terminal(log_path) as terminal:
        from orchestration.launch import asset_groups, daily_job, run_pipeline

        job = daily_job(settings, train=train)
        title = f"{job.name}" + (f" as of {as_of}" if as_of else "")
        with ProgressView(RunProgress(asset_groups(job)), terminal, title) as view:
            result = run_pipeline(settings, exports_dir, as_of=as_of, listener=view, job=job)
    return result, log_path


@cli.command()
@click.argument("customer_id", type=int)
@target_option
def profile(customer_id: int, target: str | None) -> None:
    """Print one customer's serving profile as JSON: online features plus latest scores."""
    import json

    from feature_repo.store import FeatureStoreGateway, UnknownCustomer

    settings = Settings.from_env(target)
    try:
        found = FeatureStoreGateway(settings).customer_profile(customer_id)
    except UnknownCustomer:
        raise UnknownCustomer(
            f"customer {customer_id} has no online features or scores in {settings.describe()}; "
            "run `ciw run` first"
        ) from None
    click.echo(json.dumps(found, indent=2, default=str, sort_keys=True))


@cli.command()
@click.option("--port", type=click.IntRange(1, 65535), default=3000, show_default=True)
@target_option
def ui(port: int, target: str | None) -> None:
    """Start the Dagster UI (assets by layer, checks, runs, schedules) on 127.0.0.1."""
    import subprocess

    from orchestration.instance import instance_env
    from orchestration.launch import ui_command
    from warehouse.paths import PROJECT_ROOT

    settings = Settings.from_env(target)
    click.echo(f"Dagster UI on http://127.0.0.1:{port} for {settings.describe()} (Ctrl-C stops)")
    env = {**os.environ, **instance_env(settings)}
    subprocess.run(ui_command(port), cwd=PROJECT_ROOT, env=env, check=False)


@cli.command()
@click.option(
    "--customers",
    type=click.IntRange(min=10),
    default=10_000,
    show_default=True,
    help="Scale to measure at.",
)
@click.option("--seed", type=int, default=42, show_default=True)
@click.option("--markdown", is_flag=True, help="Also print the figures as a Markdown table.")
@click.option(
    "--ml/--no-ml",
    default=True,
    show_default=True,
    help="Also time Feast, training sets, training, scoring and the online profile lookup.",
)
@click.option(
    "--events",
    is_flag=True,
    help="Instead: events end to end (a 10,000-event burst, then 50/s for 60 s; see "
    "docs/events.md): latency from the 202 to Slack, lost, duplicates.",
)
@click.option(
    "--api",
    "api_options",
    is_flag=True,
    help="Instead of the stages: load-test the profile endpoint over loopback"
    " (with --duration, --rates, --rebuild).",
)
@click.option(
    "--duration",
    type=click.FloatRange(min=1),
    default=60.0,
    show_default=True,
    help="--api: seconds at each rate.",
)
@click.option(
    "--rates",
    default="100,200,500",
    show_default=True,
    help="--api: requests per second to offer, comma-separated.",
)
@click.option("--rebuild", is_flag=True, help="--api: rebuild the benchmark warehouse.")
@click.option(
    "--reuse-exports",
    is_flag=True,
    help="--daily: keep the exports an earlier run generated for the same --customers, --seed "
    "and end date instead of generating them again.",
)
@click.option(
    "--daily",
    is_flag=True,
    help="Instead: a first full run, then one new day loaded and the daily run, each stage "
    "timed with its peak memory (see docs/benchmarks.md).",
)
@target_option
def bench(
    customers: int,
    seed: int,
    markdown: bool,
    ml: bool,
    api_options: bool,
    duration: float,
    rates: str,
    rebuild: bool,
    reuse_exports: bool,
    events: bool,
    daily: bool,
    target: str | None,
) -> None:
    """Time generate, load, dbt build and the ML stages at a given scale; print the figures.

    Uses its own warehouse (data/bench/*.duckdb or the ciw_bench database), never yours.
    """
    if daily:
        from ciw.bench_daily_cli import daily_bench

        daily_bench(
            customers, seed, markdown, Settings.from_env(target), reuse_exports=reuse_exports
        )
        return
    if events:
        from ciw.events_cli import bench_events

        bench_events(customers, Settings.from_env(target).target)
        return
    if api_options:
        from ciw.serve_cli import bench_api

        bench_api(Settings.from_env(target), customers, seed, duration, rates, rebuild, markdown)
        return
    from benchmarks.report import print_benchmark
    from benchmarks.stages import run_benchmark

    settings = Settings.from_env(target)
    with progress_bar("benchmark") as progress:
        result = run_benchmark(customers, settings, seed=seed, progress=progress, ml=ml)
    print_benchmark(result)
    if markdown:
        from benchmarks.report import benchmark_markdown

        click.echo(benchmark_markdown(result))


@cli.command()
@click.option("--serve", is_flag=True, help="Serve the site after generating it.")
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True)
@target_option
def docs(serve: bool, port: int, target: str | None) -> None:
    """Generate the dbt docs site (models, columns, tests, lineage); --serve to browse it."""
    from warehouse.dbt import run_dbt, target_path_for

    settings = Settings.from_env(target)
    run_dbt(["docs", "generate"], settings)
    click.echo(f"docs site: {target_path_for(settings) / 'index.html'}")
    if serve:
        run_dbt(["docs", "serve", "--port", str(port), "--no-browser"], settings)


def _register_subcommands() -> None:
    """Command groups that live in their own modules (cheap to import: no heavy libraries)."""
    from ciw.alerts_cli import alerts_group
    from ciw.api_keys_cli import api_keys_group
    from ciw.automations_cli import automations_group
    from ciw.backfill_cli import backfill_command
    from ciw.backtest_cli import backtest_command
    from ciw.crm_cli import crm_group
    from ciw.dbt_cli import dbt_command
    from ciw.events_cli import events_group
    from ciw.models_cli import models_group
    from ciw.notify_cli import feedback_command, notify_command
    from ciw.ops_cli import ops_group
    from ciw.review_cli import review_group
    from ciw.serve_cli import serve_command
    from ciw.sources_cli import generate, load
    from ciw.spark_cli import spark_group

    cli.add_command(generate)
    cli.add_command(load)
    cli.add_command(models_group)
    cli.add_command(notify_command)
    cli.add_command(feedback_command)
    cli.add_command(backtest_command)
    cli.add_command(backfill_command)
    cli.add_command(dbt_command)
    cli.add_command(alerts_group)
    cli.add_command(crm_group)
    cli.add_command(serve_command)
    cli.add_command(api_keys_group)
    cli.add_command(events_group)
    cli.add_command(automations_group)
    cli.add_command(ops_group)
    cli.add_command(review_group)
    cli.add_command(spark_group)


_register_subcommands()


def _user_errors() -> tuple[type[BaseException], ...]:
    """Exceptions whose message is meant for the user: one line, no traceback."""
    from warehouse import WarehouseUnavailable
    from warehouse.dbt import DbtFailure

    errors: list[type[BaseException]] = [
        SettingsError,
        WarehouseUnavailable,
        DbtFailure,
        FileNotFoundError,
        PermissionError,
        PipelineFailed,
    ]
    if "sources.load" in sys.modules:
        errors.append(sys.modules["sources.load"].LoadError)
    if "ml.backtest" in sys.modules:
        errors.append(sys.modules["ml.backtest"].BacktestError)
    if "feature_repo.store" in sys.modules:
        store = sys.modules["feature_repo.store"]
        errors.extend([store.FeatureStoreError, store.UnknownCustomer])
    return tuple(errors)


def _scrub(message: str) -> str:
    password = os.environ.get("CIW_PG_PASSWORD")
    return message.replace(password, "***") if password else message


def main(argv: list[str] | None = None) -> int:
    """Entry point: user errors end with one readable line and a non-zero exit."""
    try:
        cli.main(args=argv, prog_name="ciw", standalone_mode=False)
    except click.ClickException as error:
        error.show()
        return error.exit_code
    except click.exceptions.Abort:
        click.echo("ciw: interrupted", err=True)
        return 130
    except click.exceptions.Exit as exit_:
        return exit_.exit_code
    except Exception as error:
        if os.environ.get("CIW_DEBUG") == "1":
            raise
        if isinstance(error, _user_errors()):
            click.echo(f"ciw: error: {_scrub(str(error))}", err=True)
            return 1
        click.echo(
            f"ciw: unexpected {type(error).__name__}: {_scrub(str(error))} "
            "(set CIW_DEBUG=1 to see the traceback)",
            err=True,
        )
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
