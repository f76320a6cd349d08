"""Spark Connect: one Spark driver shared by several processes.

``ciw spark serve`` (:func:`start_connect_server`) serves a session to every command on the
machine (``CIW_SPARK_REMOTE``); ``ciw run`` serves its own to its dbt steps
(:func:`serve_own_session`). A serving process claims the warehouse in a lock file beside it,
so a command that would start a JVM of its own on the same embedded metastore (which admits
one) says in one line who serves it and how to join, instead of failing inside Derby.
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from warehouse.settings import Settings
from warehouse.spark import local_session, spark_conf

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

#: Session settings a Spark Connect client sets on its own session (the server's static
#: settings, the metastore and the warehouse folder, are the server's).
REMOTE_SESSION_CONF = (
    "spark.sql.session.timeZone",
    "spark.sql.shuffle.partitions",
    "spark.sql.execution.arrow.pyspark.enabled",
    "spark.sql.hive.metastorePartitionPruning",
)


#: Spark Connect's bearer token, read by the server and by PySpark's clients alike.
CONNECT_TOKEN_ENV = "SPARK_CONNECT_AUTHENTICATE_TOKEN"


def start_connect_server(settings: Settings, port: int) -> SparkSession:
    """This process's session (its JVM, the warehouse folder and the metastore) served to
    other processes over Spark Connect on ``localhost:port``: ``ciw spark serve``. Clients
    (``CIW_SPARK_REMOTE=sc://localhost:PORT``) start no JVM, share the JIT-compiled driver and
    the one embedded metastore, and must present the token in
    ``SPARK_CONNECT_AUTHENTICATE_TOKEN``; the server refuses to start without one."""
    from warehouse.connections import WarehouseUnavailable

    if not os.environ.get(CONNECT_TOKEN_ENV, "").strip():
        raise WarehouseUnavailable(
            f"set {CONNECT_TOKEN_ENV} to a secret before serving Spark Connect: every client "
            "presents the same value (from its own environment)"
        )
    refuse_if_served_elsewhere(settings)
    _claim(settings, f"sc://localhost:{port}")
    return local_session(
        settings,
        {
            "spark.plugins": "org.apache.spark.sql.connect.SparkConnectPlugin",
            "spark.connect.grpc.binding.address": "127.0.0.1",
            "spark.connect.grpc.binding.port": str(port),
        },
    )


#: The Spark Connect URL this process serves its own session at (see :func:`serve_own_session`).
_SERVED: dict[str, str] = {}


def serve_own_session(settings: Settings) -> str:
    """Start this process's session with a Spark Connect server on a free port of localhost
    (once) and return its URL. ``ciw run`` does this on the Spark target, so that its dbt steps
    (other processes) are clients of the run's driver: one JVM, compiled once, for the whole
    run, and one process on the embedded metastore. The token is a fresh random secret in this
    process's environment, which its subprocesses inherit."""
    import secrets

    if "url" not in _SERVED:
        os.environ.setdefault(CONNECT_TOKEN_ENV, secrets.token_urlsafe(32))
        port = free_local_port()
        start_connect_server(settings, port)
        _SERVED["url"] = f"sc://localhost:{port}"
    return _SERVED["url"]


def free_local_port() -> int:
    """A port of 127.0.0.1 that nothing listens on now."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def served_url() -> str:
    """The Spark Connect URL of this process's own session, or empty when it serves none."""
    return _SERVED.get("url", "")


def connect_url(settings: Settings) -> str:
    """The Spark Connect server this process's dbt steps use: the configured one, else the
    process's own; empty when dbt starts a session of its own."""
    return settings.spark_remote or served_url()


def remote_session(settings: Settings) -> SparkSession:
    """A Spark Connect client session on ``settings.spark_remote`` (no JVM here), with the
    project's session settings (time zone, shuffle partitions, Arrow)."""
    from pyspark.sql import SparkSession

    conf = spark_conf(settings)
    # PySpark's own builder (not the Connect module's) also switches `pyspark.sql.functions`
    # and the rest of the DataFrame API of this process to Spark Connect.
    builder: Any = SparkSession.builder.remote(settings.spark_remote)
    for key in REMOTE_SESSION_CONF:
        builder = builder.config(key, conf[key])
    # PySpark logs every failed statement with its whole Java stack as JSON on standard
    # error; the project reports the error itself, in one line.
    logging.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)
    return builder.getOrCreate()


def claim_path(settings: Settings) -> Path:
    """The lock file a serving process holds, beside the warehouse folder."""
    return settings.spark_warehouse_dir.resolve().parent / "spark-connect.lock"


#: The open claim of this process (its lock lasts as long as the file stays open).
_CLAIM: list[IO[str]] = []


def _served_by(handle: IO[str]) -> tuple[str, str]:
    """Who last claimed the file of ``handle`` (described) and the URL it serves."""
    from warehouse.locks import describe_process

    handle.seek(0)
    pid, _, url = handle.read().strip().partition(" ")
    return (describe_process(int(pid)) if pid.isdigit() else "another process"), url


def _claim(settings: Settings, url: str) -> None:
    """Hold :func:`claim_path` for this process, recording its pid and URL. A check (below)
    holds the file shared for a moment: the claim waits as for any held lock."""
    from warehouse.locks import Busy, busy_holder, wait_for

    if settings.spark_metastore_url or _CLAIM:
        return  # a shared metastore admits many JVMs; this process holds its claim already
    path = claim_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+")

    def attempt() -> None:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Busy(_served_by(handle)[0]) from None

    try:
        wait_for(attempt, busy_holder, f"cannot serve {settings.describe()}")
    except BaseException:
        handle.close()
        raise
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()} {url}")
    handle.flush()
    _CLAIM.append(handle)


def refuse_if_served_elsewhere(settings: Settings) -> None:
    """A session of this process's own would open the embedded metastore that another
    process serves over Spark Connect: one line naming it and how to join it instead."""
    from warehouse.connections import WarehouseUnavailable

    path = claim_path(settings)
    if settings.spark_metastore_url or _CLAIM or not path.exists():
        return
    with path.open("a+") as handle:
        # Shared: the threads and processes that check at the same moment do not see each
        # other as a server; only a server's exclusive claim refuses it.
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            holder, url = _served_by(handle)
            raise WarehouseUnavailable(
                f"the Spark warehouse {settings.spark_warehouse_dir} is served by {holder} at "
                f"{url}: set CIW_SPARK_REMOTE={url} (and its {CONNECT_TOKEN_ENV}) to work "
                "beside it, or wait until it ends"
            ) from None


def stop_serving() -> None:
    """Forget this process's served URL and release its claim (its session is ending)."""
    _SERVED.clear()
    while _CLAIM:
        _CLAIM.pop().close()
