"""The profile's hot path outside the marts engine: one SQLite file of ready JSON rows.

A DuckDB point query costs about a millisecond of fixed overhead, a SQLite primary-key lookup
a few microseconds. So publishing also writes ``service.customer_extras`` (latest scores with
interval and factors, journey, RFM segment, identity) as one JSON document per customer into
``artifacts/service/profiles.sqlite``, replaced atomically like the snapshot. The service
reads it read-only, one connection per thread, reopened when the file is replaced.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from warehouse.settings import Settings


def profiles_path(settings: Settings) -> Path:
    return settings.artifacts_dir / "service" / "profiles.sqlite"


def write_profiles(settings: Settings, rows: Iterable[dict[str, Any]]) -> Path:
    """Write the rows (each with ``customer_id``) and put the file in place atomically."""
    from service.routers.common import plain_row

    target = profiles_path(settings)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.{time.time_ns()}.tmp")
    temporary.unlink(missing_ok=True)
    connection = sqlite3.connect(temporary)
    try:
        connection.execute("create table extras (customer_id integer primary key, body text)")
        connection.executemany(
            "insert into extras values (?, ?)",
            ((int(row["customer_id"]), json.dumps(plain_row(row), default=str)) for row in rows),
        )
        connection.commit()
    finally:
        connection.close()
    temporary.replace(target)
    return target


class ProfileExtras:
    """Read-only lookups in the published profiles file; None when it is absent."""

    def __init__(self, settings: Settings, check_seconds: float = 1.0) -> None:
        self.path = profiles_path(settings)
        self.check_seconds = check_seconds
        self._local = threading.local()
        self._stamp: tuple[int, int] | None = None
        self._checked_at = float("-inf")

    def available(self) -> bool:
        self._check()
        return self._stamp is not None

    def get(self, customer_id: int) -> dict[str, Any] | None:
        self._check()
        if self._stamp is None:
            return None
        local = self._local
        if getattr(local, "stamp", None) != self._stamp:
            if getattr(local, "connection", None) is not None:
                local.connection.close()
            uri = f"file:{self.path}?mode=ro"
            local.connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
            local.stamp = self._stamp
        found = local.connection.execute(
            "select body from extras where customer_id = ?", (customer_id,)
        ).fetchone()
        return dict(json.loads(found[0])) if found else None

    def _check(self) -> None:
        now = time.monotonic()
        if now - self._checked_at < self.check_seconds:
            return
        try:
            status = self.path.stat()
            self._stamp = (status.st_ino, status.st_mtime_ns)
        except FileNotFoundError:
            self._stamp = None
        self._checked_at = now
