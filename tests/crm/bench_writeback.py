"""Time the CRM writeback against the Salesforce stand-in: a first push, a rerun, and a push
after a share of the lead scores changed. Prints figures; asserts nothing.

    .venv/bin/python -m tests.crm.bench_writeback --leads 10000 --accounts 2000 [--target postgres]

It uses a warehouse of its own (a DuckDB file in a temporary folder, or a new PostgreSQL
database that it drops afterwards). The stand-in runs in the same process, so the figures
include its work; against Salesforce the round trips dominate.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from crm.push import push
from tests.crm.conftest import make_accounts, make_leads, seed_org, standin_config, write_marts
from tests.crm.salesforce_standin import SalesforceStandIn
from warehouse.connections import drop_postgres_database, ensure_postgres_database
from warehouse.settings import Settings


@contextmanager
def bench_warehouse(target: str) -> Iterator[Settings]:
    if target == "duckdb":
        with tempfile.TemporaryDirectory() as folder:
            yield Settings(target="duckdb", duckdb_path=Path(folder) / "bench.duckdb")
        return
    settings = replace(
        Settings.from_env("postgres"), pg_database=f"ciw_crm_bench_{uuid.uuid4().hex[:8]}"
    )
    ensure_postgres_database(settings)
    try:
        yield settings
    finally:
        drop_postgres_database(settings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--accounts", type=int, default=2_000)
    parser.add_argument("--changed-every", type=int, default=100, help="change every n-th lead")
    parser.add_argument("--target", choices=("duckdb", "postgres"), default="duckdb")
    args = parser.parse_args()
    leads, accounts = make_leads(args.leads), make_accounts(args.accounts)
    standin = SalesforceStandIn().start()
    try:
        seed_org(standin, leads, accounts)
        config = standin_config(standin)
        with bench_warehouse(args.target) as settings:
            write_marts(settings, leads, accounts)
            for label in ("first push", "rerun"):
                timed(label, settings, config, standin)
            changed = [
                replace(lead, score=lead.score + 1) if n % args.changed_every == 0 else lead
                for n, lead in enumerate(leads)
            ]
            write_marts(settings, changed, accounts)
            timed(f"every {args.changed_every}th lead changed", settings, config, standin)
    finally:
        standin.stop()


def timed(label: str, settings: Settings, config: object, standin: SalesforceStandIn) -> None:
    calls = len(standin.calls)
    started = time.perf_counter()
    report = push(settings, config=config)  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    records = sum(report.written.values())
    print(
        f"{settings.target:8} {label:28} {seconds:6.2f} s  {len(standin.calls) - calls:4d} requests"
        f"  {records:6d} records written  ({report.plan.unchanged} values unchanged)"
    )


if __name__ == "__main__":
    main()
