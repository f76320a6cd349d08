"""One setting picks the warehouse for every component.

``--target`` on the command line wins, then ``CIW_TARGET``, then the embedded default (DuckDB).
Connection details come from the environment only; the password is never printed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any, Literal, cast

from warehouse.paths import DATA_DIR

Target = Literal["duckdb", "postgres", "spark"]
TARGETS: tuple[Target, ...] = ("duckdb", "postgres", "spark")


#: Share of the machine's RAM a DuckDB connection may use unless CIW_DUCKDB_MEMORY_LIMIT says
#: otherwise (DuckDB's own default is 80 %): the rest is for Python, dbt and the other processes.
DUCKDB_MEMORY_SHARE = 0.4

#: Share of the RAM of an in-memory DuckDB that works beside the warehouse inside a Python
#: process (Feast's point-in-time join, the loader's validation) unless
#: CIW_DUCKDB_SCRATCH_MEMORY_LIMIT says otherwise: less than the warehouse's share, because the
#: same process holds the frames it reads and writes. With DuckDB's default (80 %), the
#: customer_churn training set at 1M customers took the process to 22.4 GiB.
SCRATCH_MEMORY_SHARE = 0.25


def physical_ram_bytes() -> int:
    """The machine's RAM, from which the warehouses' default memory budgets are taken."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


class SettingsError(ValueError):
    """A setting has a value the project cannot use."""


def duckdb_threads() -> str:
    """``CIW_DUCKDB_THREADS``, default the CPUs."""
    threads = os.environ.get("CIW_DUCKDB_THREADS", "").strip() or str(os.cpu_count() or 1)
    if not threads.isdigit() or int(threads) < 1:
        raise SettingsError(f"CIW_DUCKDB_THREADS must be a positive number, got {threads!r}")
    return threads


def duckdb_memory_limit(variable: str, share: float) -> str:
    """DuckDB's ``memory_limit``: the environment ``variable``, else ``share`` of the RAM."""
    return os.environ.get(variable, "").strip() or f"{int(physical_ram_bytes() * share) >> 20}MiB"


def scratch_duckdb_config(temp_directory: str) -> dict[str, str]:
    """Resource settings of an in-memory DuckDB beside the warehouse: memory limit
    (``CIW_DUCKDB_SCRATCH_MEMORY_LIMIT``, default :data:`SCRATCH_MEMORY_SHARE` of the RAM),
    the warehouse's threads, and ``temp_directory`` to spill to."""
    return {
        "memory_limit": duckdb_memory_limit(
            "CIW_DUCKDB_SCRATCH_MEMORY_LIMIT", SCRATCH_MEMORY_SHARE
        ),
        "threads": duckdb_threads(),
        "temp_directory": temp_directory,
    }


@dataclass(frozen=True)
class Settings:
    target: Target = "duckdb"
    duckdb_path: Path = DATA_DIR / "warehouse.duckdb"
    pg_host: str = "127.0.0.1"
    pg_port: int = 5432
    pg_user: str = "postgres"
    pg_password: str = field(default="", repr=False)
    pg_database: str = "ciw"
    #: Files the pipeline writes beside the warehouse: model registry, Feast, drift reports,
    #: the Slack outbox. None: next to the DuckDB file, or data/artifacts/<database> on Postgres.
    artifacts_root: Path | None = None
    #: Spark (warehouse/spark.py): the master (``local[2]`` on one machine, ``spark://...`` or
    #: ``yarn`` on a cluster), the tables' folder and the Hive metastore (a Derby folder by
    #: default; ``CIW_SPARK_METASTORE_URL`` points at a shared one).
    spark_master: str = "local[2]"
    spark_warehouse_dir: Path = DATA_DIR / "spark" / "warehouse"
    spark_metastore_url: str = ""
    #: A Spark Connect server (``sc://host:15002``) every command talks to instead of starting
    #: a JVM of its own: ``ciw spark serve`` on one machine, or a cluster's. Empty: a session
    #: in each process.
    spark_remote: str = ""

    @classmethod
    def from_env(cls, target: str | None = None) -> Settings:
        chosen = (target or os.environ.get("CIW_TARGET") or "duckdb").strip().lower()
        if chosen not in TARGETS:
            raise SettingsError(f"unknown target {chosen!r}; choose one of: {', '.join(TARGETS)}")
        port_text = os.environ.get("CIW_PG_PORT", "5432")
        if not port_text.isdigit():
            raise SettingsError(f"CIW_PG_PORT must be a port number, got {port_text!r}")
        return cls(
            target=cast(Target, chosen),
            duckdb_path=Path(os.environ.get("CIW_DUCKDB_PATH", str(DATA_DIR / "warehouse.duckdb"))),
            pg_host=os.environ.get("CIW_PG_HOST", "127.0.0.1"),
            pg_port=int(port_text),
            pg_user=os.environ.get("CIW_PG_USER", "postgres"),
            pg_password=os.environ.get("CIW_PG_PASSWORD", ""),
            pg_database=os.environ.get("CIW_PG_DATABASE", "ciw"),
            artifacts_root=Path(root) if (root := os.environ.get("CIW_ARTIFACTS_DIR")) else None,
            spark_master=os.environ.get("CIW_SPARK_MASTER", "local[2]"),
            spark_warehouse_dir=Path(
                os.environ.get("CIW_SPARK_WAREHOUSE", str(DATA_DIR / "spark" / "warehouse"))
            ),
            spark_metastore_url=os.environ.get("CIW_SPARK_METASTORE_URL", ""),
            spark_remote=spark_remote_from_env(),
        )

    @property
    def is_embedded(self) -> bool:
        """The warehouse is one local DuckDB file, which one process writes at a time: the API,
        Feast's offline store and the events worker then read copies a run publishes (the
        service snapshot, Parquet exports, the key file) and one process's writers share a
        lock. A server (PostgreSQL, Spark's metastore) is read and written directly."""
        return self.target == "duckdb"

    @property
    def artifacts_dir(self) -> Path:
        """Where this warehouse's files live (``CIW_ARTIFACTS_DIR`` wins)."""
        if self.artifacts_root is not None:
            return self.artifacts_root
        if self.target == "duckdb":
            return self.duckdb_path.parent / "artifacts"
        if self.target == "spark":
            return self.spark_warehouse_dir.parent / "artifacts"
        return DATA_DIR / "artifacts" / self.pg_database

    def elsewhere(self, *, duckdb_path: Path, pg_database: str) -> Settings:
        """The same kind of warehouse in another place (a benchmark's or a backtest's own):
        the DuckDB file ``duckdb_path``, the database ``pg_database`` on the same server, or a
        Spark warehouse folder (with its own metastore) beside ``duckdb_path``."""
        if self.target == "duckdb":
            return replace(self, duckdb_path=duckdb_path)
        if self.target == "spark":
            folder = duckdb_path.with_suffix("") / "spark"
            return replace(
                self,
                spark_warehouse_dir=folder / "warehouse",
                spark_metastore_url="",
                spark_remote="",
            )
        return replace(self, pg_database=pg_database)

    @property
    def spark_derby_dir(self) -> Path:
        """The default metastore's Derby folder, beside the warehouse folder."""
        return self.spark_warehouse_dir.resolve().parent / "metastore_db"

    @property
    def spark_log_path(self) -> Path:
        """Spark's own log (its errors with their Java stacks), beside the warehouse folder."""
        return self.spark_warehouse_dir.resolve().parent / "spark.log"

    @property
    def spark_metastore(self) -> str:
        """The Hive metastore's JDBC URL: ``CIW_SPARK_METASTORE_URL``, else the Derby database
        in :attr:`spark_derby_dir` (one process at a time, as Derby embedded allows)."""
        if self.spark_metastore_url:
            return self.spark_metastore_url
        return f"jdbc:derby:;databaseName={self.spark_derby_dir};create=true"

    def pg_conninfo(self, database: str | None = None) -> str:
        """A libpq connection string; contains the password, so never log it."""
        parts = {
            "host": self.pg_host,
            "port": str(self.pg_port),
            "user": self.pg_user,
            "dbname": database or self.pg_database,
            "connect_timeout": "5",
        }
        if self.pg_password:
            parts["password"] = self.pg_password
        return " ".join(f"{key}='{value}'" for key, value in parts.items())

    def describe(self) -> str:
        """Where the warehouse is, safe to print."""
        if self.target == "duckdb":
            return f"DuckDB file {self.duckdb_path}"
        if self.target == "spark":
            engine = f"Spark Connect {self.spark_remote}" if self.spark_remote else "Spark"
            where = "" if self.spark_remote else f" ({self.spark_master})"
            return f"{engine}{where} warehouse {self.spark_warehouse_dir}"
        return f"PostgreSQL {self.pg_user}@{self.pg_host}:{self.pg_port}/{self.pg_database}"

    def duckdb_config(self) -> dict[str, str]:
        """Resource settings of every DuckDB connection to the warehouse (and dbt's): memory
        limit (``CIW_DUCKDB_MEMORY_LIMIT``, default :data:`DUCKDB_MEMORY_SHARE` of the RAM),
        threads (``CIW_DUCKDB_THREADS``, default the CPUs) and where to spill what does not fit
        (``CIW_DUCKDB_TEMP_DIR``, default ``<warehouse file>.tmp``), so 1M customers build
        within a fixed memory budget."""
        memory = duckdb_memory_limit("CIW_DUCKDB_MEMORY_LIMIT", DUCKDB_MEMORY_SHARE)
        temp = os.environ.get("CIW_DUCKDB_TEMP_DIR", "").strip()
        temp_dir = temp or str(self.duckdb_path.resolve()) + ".tmp"
        return {"memory_limit": memory, "threads": duckdb_threads(), "temp_directory": temp_dir}

    def dbt_env(self) -> dict[str, str]:
        """Environment for a dbt process so that profiles.yml points at this warehouse."""
        duckdb_config = self.duckdb_config() if self.target == "duckdb" else {}
        names = {"memory_limit": "MEMORY_LIMIT", "threads": "THREADS", "temp_directory": "TEMP_DIR"}
        resources = {f"CIW_DUCKDB_{names[key]}": value for key, value in duckdb_config.items()}
        return {
            **resources,
            "CIW_TARGET": self.target,
            "CIW_DUCKDB_PATH": str(self.duckdb_path.resolve()),
            "CIW_PG_HOST": self.pg_host,
            "CIW_PG_PORT": str(self.pg_port),
            "CIW_PG_USER": self.pg_user,
            "CIW_PG_PASSWORD": self.pg_password,
            "CIW_PG_DATABASE": self.pg_database,
            **(spark_dbt_env(self) if self.target == "spark" else {}),
        }


def spark_dbt_env(settings: Settings) -> dict[str, str]:
    """dbt-spark's session settings (profiles.yml reads them as JSON): the same session
    configuration the project's own Spark code uses, so both see one metastore."""
    import json

    from warehouse.spark import spark_conf
    from warehouse.spark_connect import REMOTE_SESSION_CONF, connect_url

    conf = spark_conf(settings)
    remote = connect_url(settings)
    if not remote:
        return {"CIW_SPARK_CONF": json.dumps(conf, sort_keys=True)}
    # dbt-spark's `session` method asks PySpark's builder for a session, which becomes a
    # Spark Connect client when SPARK_REMOTE is set: dbt then starts no JVM of its own, and
    # sets only its session's settings (the server owns the master and the metastore). Its
    # builder also asks for Hive support, a server setting a client cannot change: PySpark's
    # warning about that, once per statement, is not shown.
    session_conf = {key: conf[key] for key in REMOTE_SESSION_CONF}
    quiet = "ignore::UserWarning:pyspark.sql.connect.conf"
    warnings = os.environ.get("PYTHONWARNINGS", "")
    return {
        "CIW_SPARK_CONF": json.dumps(session_conf, sort_keys=True),
        "SPARK_REMOTE": remote,
        "PYTHONWARNINGS": f"{warnings},{quiet}" if warnings else quiet,
    }


def spark_remote_from_env() -> str:
    """``CIW_SPARK_REMOTE``: a Spark Connect URL (``sc://host:port``), or empty."""
    remote = os.environ.get("CIW_SPARK_REMOTE", "").strip()
    if "token=" in remote.lower():
        raise SettingsError(
            "CIW_SPARK_REMOTE must not carry the token (the URL is shown and kept with each "
            "run): put it in SPARK_CONNECT_AUTHENTICATE_TOKEN"
        )
    if remote and not remote.startswith("sc://"):
        raise SettingsError(
            f"CIW_SPARK_REMOTE must be a Spark Connect URL like sc://localhost:15002, "
            f"got {remote!r}"
        )
    return remote


#: dbt vars a deployment may set from the environment (name -> dbt var). The label horizons
#: decide what the models predict ("revenue in the next N days"); the spine must reach back
#: beyond the longest horizon for labels to mature.
DBT_VAR_ENVIRONMENT = {
    "CIW_CHURN_HORIZON_DAYS": "churn_horizon_days",
    "CIW_CLV_HORIZON_DAYS": "clv_horizon_days",
    "CIW_ACCOUNT_CHURN_HORIZON_DAYS": "account_churn_horizon_days",
    "CIW_LEAD_CONVERSION_HORIZON_DAYS": "lead_conversion_horizon_days",
    "CIW_FEATURE_SPINE_PERIODS": "feature_spine_periods",
    "CIW_FEATURE_SPINE_STEP_DAYS": "feature_spine_step_days",
}


@cache
def dbt_project_vars() -> dict[str, Any]:
    """The vars of ``dbt_project/dbt_project.yml`` as written (before the environment's
    overrides, :func:`dbt_vars_from_env`): the one reader for Python that must agree with dbt."""
    import yaml

    from warehouse.paths import DBT_PROJECT_DIR

    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    return dict(project.get("vars") or {})


def dbt_vars_from_env() -> dict[str, int]:
    """The dbt vars set through the environment (positive whole numbers), for every dbt call."""
    return {
        var_name: env_whole_number(env_name, 0, what="a positive whole number of days")
        for env_name, var_name in DBT_VAR_ENVIRONMENT.items()
        if os.environ.get(env_name, "").strip()
    }


def env_number(name: str, default: float, *, what: str = "a number", zero: bool = False) -> float:
    """A positive number from the environment variable ``name`` (``zero``: or 0); ``default``
    when it is unset or empty. A value that does not parse raises :class:`SettingsError`
    saying it must be ``what``."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise SettingsError(f"{name} must be {what}, got {text!r}") from None
    if value < 0 or (value == 0 and not zero):
        rule = "must not be negative" if zero else "must be positive"
        raise SettingsError(f"{name} {rule}, got {text!r}")
    return value


def env_whole_number(name: str, default: int, *, what: str = "a positive whole number") -> int:
    """A whole number of at least 1 from the environment variable ``name``; ``default`` when it
    is unset or empty. Anything else raises :class:`SettingsError` saying it must be ``what``."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or int(text) < 1:
        raise SettingsError(f"{name} must be {what}, got {text!r}")
    return int(text)
