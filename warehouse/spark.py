"""The Spark warehouse: one session configuration for the project's Python and for dbt-spark.

On one machine (the default, and in tests) it is a local session (``local[2]``) with its tables
under ``CIW_SPARK_WAREHOUSE`` and a Hive metastore in a Derby folder beside them. Derby
embedded admits one process at a time, so the project's commands take turns (``ciw load``,
then dbt in its own process). On a cluster, ``CIW_SPARK_MASTER`` names the master (``yarn``,
``spark://host:7077``) and ``CIW_SPARK_METASTORE_URL`` a shared metastore that many processes
may use at once (its password, if any, in ``CIW_SPARK_METASTORE_PASSWORD``, never in a file).
Further settings come as JSON in ``CIW_SPARK_EXTRA_CONF`` (executor memory, shuffle
partitions for a larger cluster), and options for the driver's JVM in ``CIW_SPARK_JAVA_OPTIONS``
(:data:`QUICK_START_JAVA_OPTIONS` for small data and tests).
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from warehouse.settings import (
    DUCKDB_MEMORY_SHARE,
    Settings,
    SettingsError,
    physical_ram_bytes,
)

if TYPE_CHECKING:
    import pandas as pd
    from pyspark.sql import DataFrame, SparkSession

LOG_CONFIG = Path(__file__).with_name("spark-log4j2.properties")

#: Shuffle partitions of the local session: a few per core, not Spark's 200 (which would make
#: a three-order test build pay for 200 empty tasks per join).
LOCAL_SHUFFLE_PARTITIONS = "4"

#: JVM options for a driver that runs many small statements (tests, a few thousand customers):
#: only the quick C1 compiler. Spark compiles new classes for every query, and on two cores
#: the optimizing C2 compiler's threads took most of a core while a build of 120 customers ran
#: (its dbt steps about a quarter faster without it). C1 alone shrinks the code cache to 48 MB
#: by default, which Spark's generated classes fill: the JVM then stops compiling and fails to
#: link method handles (``InternalError: ... MethodHandle.linkToStatic``), hence the size.
#: Faster at 120 and at 20,000 customers, slower at 100,000 (226 s against 185 s for the
#: same build), where statements run long enough for C2's code to pay off: not the default.
QUICK_START_JAVA_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=240m"


def local_driver_memory() -> str:
    """The local session's heap: the same share of the RAM DuckDB gets by default
    (:data:`warehouse.settings.DUCKDB_MEMORY_SHARE`), as everything runs in the driver there.
    Spark's own default, 1 GiB, holds a few thousand customers; 100,000 need several GiB."""
    return f"{max(1024, int(physical_ram_bytes() * DUCKDB_MEMORY_SHARE) >> 20)}m"


def spark_conf(settings: Settings) -> dict[str, str]:
    """The session's configuration (without secrets; see :func:`session_secrets`). On a
    local master the driver's heap is :func:`local_driver_memory`; ``CIW_SPARK_EXTRA_CONF``
    overrides any of it (``{"spark.driver.memory": "4g"}``)."""
    conf = {
        "spark.master": settings.spark_master,
        "spark.app.name": "customer-intelligence-warehouse",
        "spark.sql.warehouse.dir": str(settings.spark_warehouse_dir.resolve()),
        "spark.sql.catalogImplementation": "hive",
        "spark.hadoop.javax.jdo.option.ConnectionURL": settings.spark_metastore,
        # The metastore's tables are created on first use, and no schema version is enforced.
        "spark.hadoop.datanucleus.schema.autoCreateAll": "true",
        "spark.hadoop.hive.metastore.schema.verification": "false",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": LOCAL_SHUFFLE_PARTITIONS,
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        # The metastore's filter grammar rejects names starting with `_` (`_batch_id`): Spark
        # lists a table's partitions (one per loaded file) and prunes them itself.
        "spark.sql.hive.metastorePartitionPruning": "false",
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
        # Derby's log beside the metastore (not derby.log wherever a command ran), and Spark's
        # own log at errors only, to a file beside it: a failed task logs its Java and Python
        # stacks several times over, while the error itself reaches the caller as one exception.
        "spark.driver.extraJavaOptions": (
            f"-Dderby.system.home={settings.spark_derby_dir.parent} "
            f"-Dlog4j2.configurationFile={LOG_CONFIG} "
            f"-Dciw.spark.log={settings.spark_log_path}" + driver_java_options()
        ),
    }
    if settings.spark_master.startswith("local"):
        conf["spark.driver.memory"] = local_driver_memory()
    extra = os.environ.get("CIW_SPARK_EXTRA_CONF", "").strip()
    if extra:
        try:
            more = json.loads(extra)
        except json.JSONDecodeError as error:
            raise SettingsError(f"CIW_SPARK_EXTRA_CONF is not JSON: {error.msg}") from None
        if not isinstance(more, dict):
            raise SettingsError("CIW_SPARK_EXTRA_CONF must be a JSON object of settings")
        conf.update({str(key): str(value) for key, value in more.items()})
    return conf


def driver_java_options() -> str:
    """More options for the driver's JVM from ``CIW_SPARK_JAVA_OPTIONS`` (a leading space
    included), or nothing. One line of options: a newline would end the launcher's command."""
    options = " ".join(os.environ.get("CIW_SPARK_JAVA_OPTIONS", "").split())
    if options and not options.startswith("-"):
        raise SettingsError(
            "CIW_SPARK_JAVA_OPTIONS must be JVM options starting with '-' "
            f"(for small data: {QUICK_START_JAVA_OPTIONS!r})"
        )
    return f" {options}" if options else ""


def session_secrets() -> dict[str, str]:
    """Settings that carry a secret: from the environment, never written anywhere."""
    password = os.environ.get("CIW_SPARK_METASTORE_PASSWORD", "")
    return {"spark.hadoop.javax.jdo.option.ConnectionPassword": password} if password else {}


def require_java() -> None:
    """Spark needs a Java runtime (17 or newer) on the PATH or in JAVA_HOME."""
    import shutil

    from warehouse.connections import WarehouseUnavailable

    home = os.environ.get("JAVA_HOME", "")
    if shutil.which("java") is None and not (home and Path(home, "bin", "java").exists()):
        raise WarehouseUnavailable(
            "the Spark target needs Java 17 or newer: install it (Debian: "
            "openjdk-17-jre-headless) or set JAVA_HOME"
        )


def spark_session(settings: Settings) -> SparkSession:
    """The process's Spark session for this warehouse (created on first use): a client of
    the Spark Connect server ``settings.spark_remote`` when one is set, else a session of
    its own (a JVM in this process)."""
    from warehouse.spark_connect import refuse_if_served_elsewhere, remote_session

    if settings.spark_remote:
        return remote_session(settings)
    refuse_if_served_elsewhere(settings)
    return local_session(settings, {})


def local_session(settings: Settings, more_conf: dict[str, str]) -> SparkSession:
    """A session with its JVM in this process: the project's configuration and ``more_conf``."""
    from pyspark.sql import SparkSession

    require_java()
    settings.spark_warehouse_dir.mkdir(parents=True, exist_ok=True)
    if settings.spark_master.startswith("local"):
        # PySpark starts its Python workers (scoring's mapInPandas) with $PYSPARK_PYTHON, else
        # the `python3` on the PATH, which lacks the project's packages: on one machine they
        # run this interpreter. On a cluster PYSPARK_PYTHON names the executors' own.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    conf = {**spark_conf(settings), **session_secrets(), **more_conf}
    launch_jvm_quietly(conf, settings.spark_log_path)
    builder: Any = SparkSession.builder
    for key, value in conf.items():
        builder = builder.config(key, value)
    session = builder.enableHiveSupport().getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    # PySpark logs every failed statement with its whole Java stack as JSON on standard
    # error; the project reports the error itself, in one line.
    logging.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)
    return session


def launch_jvm_quietly(conf: dict[str, str], log_path: Path) -> None:
    """Start the driver's JVM (as the session builder would, with the same settings) with its
    own standard output and error appended to Spark's log: the JVM prints start-up notes
    ("Using incubator modules", the default log level) that a command's screen does not want.
    A JVM that fails to start says why in that log, and the error names it."""
    from pyspark import SparkConf, SparkContext
    from pyspark.errors import PySparkRuntimeError
    from pyspark.java_gateway import launch_gateway

    if SparkContext._gateway is not None or "PYSPARK_GATEWAY_PORT" in os.environ:
        return
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        try:
            gateway = launch_gateway(
                SparkConf(loadDefaults=False).setAll(list(conf.items())),
                popen_kwargs={"stdout": log, "stderr": log},
            )
        except PySparkRuntimeError:
            from warehouse.connections import WarehouseUnavailable

            raise WarehouseUnavailable(
                f"Spark's JVM did not start; its output is at the end of {log_path}"
            ) from None
    SparkContext._ensure_initialized(gateway=gateway)


def stop_spark_session() -> None:
    """End the process's session and its JVM, so another process may open the Derby
    metastore (the JVM would otherwise hold it until this process ends). A Spark Connect
    client's session ends on the server; the server stays."""
    from pyspark import SparkContext
    from pyspark.sql import SparkSession
    from pyspark.sql.connect.session import SparkSession as RemoteSession

    from warehouse.spark_connect import stop_serving

    remote = RemoteSession.getActiveSession()
    if remote is not None:
        remote.stop()
    stop_serving()
    active = SparkSession.getActiveSession()
    if active is not None:
        active.stop()
    gateway = SparkContext._gateway
    if gateway is None:
        return
    gateway.shutdown()
    process = getattr(gateway, "proc", None)
    if process is not None:  # the JVM ends when its standard input closes
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(timeout=30)
        except Exception:
            process.kill()
    SparkContext._gateway = None
    SparkContext._jvm = None


def to_pandas(frame: DataFrame) -> pd.DataFrame:
    """The frame's rows in pandas. A Spark Connect client attaches the query's plan metrics
    to the result's ``attrs``, which no writer (Parquet keeps ``attrs`` as JSON) can take:
    they are dropped, so a frame reads the same through either kind of session."""
    result: pd.DataFrame = frame.toPandas()
    result.attrs.clear()
    return result


def insert_by_name(frame: DataFrame, table: str) -> None:
    """Append ``frame`` to ``table``, its columns matched by name and cast to the table's
    types; a table column the frame lacks is NULL (Spark's own insert goes by position)."""
    from pyspark.sql import functions

    present = set(frame.columns)
    fields = frame.sparkSession.table(table).schema.fields
    frame.select(
        *(
            functions.col(quote_spark(field.name)).cast(field.dataType).alias(field.name)
            if field.name in present
            else functions.lit(None).cast(field.dataType).alias(field.name)
            for field in fields
        )
    ).write.insertInto(table)


_NUMERIC = re.compile(r"^\s*numeric\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)\s*$", re.IGNORECASE)
_TYPES = {"varchar": "string", "text": "string", "double precision": "double"}


def spark_type(data_type: str) -> str:
    """A contract column type (DuckDB and PostgreSQL spelling) in Spark SQL."""
    lowered = data_type.strip().lower()
    if match := _NUMERIC.match(lowered):
        return f"decimal({match.group(1)},{match.group(2)})"
    return _TYPES.get(lowered, lowered)


def quote_spark(identifier: str) -> str:
    """A back-quoted Spark SQL identifier."""
    return "`" + identifier.replace("`", "``") + "`"


_CREATE_TABLE = re.compile(
    r"^\s*create\s+table\s+(if\s+not\s+exists\s+)?([\w.]+)\s*\((.*)\)\s*$",
    re.IGNORECASE | re.DOTALL,
)
#: Table-level constraints: Spark's Parquet tables hold none (the writers keep the keys).
_TABLE_CONSTRAINT = re.compile(r"^(primary\s+key|unique|foreign\s+key|constraint|check)\b", re.I)
#: Column modifiers Spark's Parquet tables do not take, up to the next modifier.
_COLUMN_MODIFIERS = re.compile(
    r"\s+(not\s+null|null|primary\s+key|unique|default\s+\S+|references\s+\S+(\s*\([^)]*\))?)",
    re.IGNORECASE,
)


def _top_level_parts(body: str) -> list[str]:
    """``body`` split at the commas outside parentheses."""
    parts: list[str] = []
    depth, start = 0, 0
    for index, character in enumerate(body):
        if character == "(":
            depth += 1
        elif character == ")":
            depth -= 1
        elif character == "," and depth == 0:
            parts.append(body[start:index].strip())
            start = index + 1
    parts.append(body[start:].strip())
    return [part for part in parts if part]


def spark_table_ddl(sql: str) -> str:
    """A hand-written ``create table`` in DuckDB and PostgreSQL spelling (the project's
    operational tables: drift and performance results, logs) as Spark takes it: the types in
    Spark's spelling, no keys or constraints, stored as Parquet. Any other statement is
    returned as it is."""
    match = _CREATE_TABLE.match(sql)
    if match is None:
        return sql
    if_not_exists, table, body = match.groups()
    columns = []
    for part in _top_level_parts(body):
        if _TABLE_CONSTRAINT.match(part):
            continue
        name, _, rest = part.partition(" ")
        columns.append(f"{name} {spark_type(_COLUMN_MODIFIERS.sub('', ' ' + rest))}")
    exists = "if not exists " if if_not_exists else ""
    return f"create table {exists}{table} ({', '.join(columns)}) using parquet"
