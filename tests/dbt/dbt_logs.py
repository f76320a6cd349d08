"""dbt's own JSON log events (``dbt.log`` and its rotated files) under a dbt target folder."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def dbt_events(target: Path) -> Iterator[dict[str, Any]]:
    """Every event dbt logged under ``target`` (each invocation's folder, rotated logs too)."""
    for log in sorted(target.rglob("dbt.log*")):
        for line in log.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                yield json.loads(line)


def cache_misses_on_nodes(target: Path) -> list[str]:
    """Relation-cache misses from a node's connection (a model or test compiling in a worker
    thread), as `node: database.schema`; misses on dbt's master connection are not listed."""
    return [
        f"{event['data'].get('conn_name')}: {event['data'].get('database')}."
        f"{event['data'].get('schema')}"
        for event in dbt_events(target)
        if event["info"]["name"] == "CacheMiss"
        and event["data"].get("conn_name", "master") != "master"
    ]


def sources_read_as_missing(target: Path) -> set[str]:
    """The raw tables (`schema.table`) that `source_or_empty` read as empty because dbt found
    them missing."""
    marker = " is missing; "
    return {
        ".".join(
            event["info"]["msg"]
            .split(marker)[0]
            .removeprefix("raw table ")
            .replace('"', "")
            .split(".")[-2:]
        )
        for event in dbt_events(target)
        if event["info"]["name"] == "JinjaLogInfo" and marker in event["info"]["msg"]
    }
