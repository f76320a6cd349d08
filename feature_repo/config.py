"""One ``feature_store.yaml`` per environment, rendered for one warehouse.

The YAML files under ``feature_repo/environments/`` hold the shape of each environment with
``${VARIABLE}`` placeholders, so that the same files work with the stock ``feast`` CLI (which
expands environment variables). In process the placeholders are filled from
``warehouse.settings.Settings`` instead of the process environment: tests run several warehouses at
once, and each must get its own registry, online store and offline folder under
``settings.artifacts_dir / "feast"``. The password only ever lives in memory.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

import yaml

from warehouse.settings import Settings, SettingsError, env_whole_number

if TYPE_CHECKING:
    from feast.repo_config import RepoConfig

ENVIRONMENTS_DIR = Path(__file__).resolve().parent / "environments"
OnlineStoreKind = Literal["default", "redis"]
OfflineJoin = Literal["fast", "stock"]
#: The stock Feast offline store type that each environment's fast join replaces.
_STOCK_OFFLINE_TYPES = {"duckdb": "duckdb", "postgres": "postgres"}

_PLACEHOLDER = re.compile(r"\$\{([A-Z0-9_]+)\}")


@dataclass(frozen=True)
class FeastOptions:
    """Feast settings that are not warehouse settings."""

    #: How old a feature row may be and still count for an entity row (and be materialized).
    #: Larger than the feature spine's 14-day step, so the previous as-of date always counts.
    ttl: timedelta = timedelta(days=30)
    #: ``redis`` puts the Postgres environment's online store in Redis (``CIW_REDIS_URL``).
    online_store: OnlineStoreKind = "default"
    redis_url: str = "127.0.0.1:6379"
    #: ``stock`` uses Feast's own point-in-time join (for benchmarks and comparisons).
    offline_join: OfflineJoin = "fast"

    @classmethod
    def from_env(cls) -> FeastOptions:
        ttl_days = env_whole_number(
            "CIW_FEAST_TTL_DAYS", 30, what="a positive whole number of days"
        )
        online = os.environ.get("CIW_FEAST_ONLINE_STORE", "default").strip().lower() or "default"
        if online not in ("default", "redis"):
            raise SettingsError(f"CIW_FEAST_ONLINE_STORE must be default or redis, got {online!r}")
        join = os.environ.get("CIW_FEAST_OFFLINE_JOIN", "fast").strip().lower() or "fast"
        if join not in ("fast", "stock"):
            raise SettingsError(f"CIW_FEAST_OFFLINE_JOIN must be fast or stock, got {join!r}")
        return cls(
            ttl=timedelta(days=ttl_days),
            offline_join=cast(OfflineJoin, join),
            online_store=cast(OnlineStoreKind, online),
            redis_url=os.environ.get("CIW_REDIS_URL", "127.0.0.1:6379"),
        )


def feast_dir(settings: Settings) -> Path:
    """This warehouse's Feast folder: registry, online store (SQLite), offline Parquet."""
    return settings.artifacts_dir / "feast"


def reads_parquet_copies(settings: Settings) -> bool:
    """Whether Feast reads Parquet copies of the feature models (``<feast>/offline/``) rather
    than the warehouse itself: a DuckDB file takes one process at a time, and on Spark the
    copies are what the online store is filled from (training and scoring read the tables
    through Spark: ``feature_repo.spark_features``). PostgreSQL is read in place."""
    return settings.target != "postgres"


def environment_file(settings: Settings, options: FeastOptions) -> Path:
    if reads_parquet_copies(settings):
        name = "duckdb"
    else:
        name = "postgres_redis" if options.online_store == "redis" else "postgres"
    return ENVIRONMENTS_DIR / name / "feature_store.yaml"


def placeholder_values(settings: Settings, options: FeastOptions) -> dict[str, str]:
    """What each ``${VARIABLE}`` of the environment files means for this warehouse."""
    project = re.sub(r"[^a-z0-9_]", "_", f"ciw_{settings.pg_database}".lower())
    return {
        "CIW_FEAST_DIR": str(feast_dir(settings).resolve()),
        "CIW_FEAST_PROJECT": project,
        "CIW_PG_HOST": settings.pg_host,
        "CIW_PG_PORT": str(settings.pg_port),
        "CIW_PG_DATABASE": settings.pg_database,
        "CIW_PG_USER": settings.pg_user,
        "CIW_PG_PASSWORD": settings.pg_password,
        "CIW_PG_SSLMODE": os.environ.get("CIW_PG_SSLMODE", "prefer"),
        "CIW_REDIS_URL": options.redis_url,
    }


def fill_placeholders(node: Any, values: Mapping[str, str], source: str) -> Any:
    """The parsed YAML with every ``${VARIABLE}`` replaced; an unknown one is an error."""
    if isinstance(node, dict):
        return {key: fill_placeholders(value, values, source) for key, value in node.items()}
    if isinstance(node, list):
        return [fill_placeholders(value, values, source) for value in node]
    if not isinstance(node, str):
        return node

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise SettingsError(f"{source}: unknown placeholder ${{{name}}}")
        return values[name]

    filled = _PLACEHOLDER.sub(substitute, node)
    return int(filled) if _PLACEHOLDER.fullmatch(node) and filled.isdigit() else filled


def render_config_dict(settings: Settings, options: FeastOptions) -> dict[str, Any]:
    """The environment's ``feature_store.yaml`` as a dict, filled for ``settings``."""
    path = environment_file(settings, options)
    raw = yaml.safe_load(path.read_text())
    rendered = cast(
        dict[str, Any], fill_placeholders(raw, placeholder_values(settings, options), str(path))
    )
    if options.offline_join == "stock":
        rendered["offline_store"]["type"] = _STOCK_OFFLINE_TYPES[settings.target]
    return rendered


def repo_config(settings: Settings, options: FeastOptions) -> RepoConfig:
    """A Feast ``RepoConfig`` for this warehouse (nothing written to disk)."""
    from feast.repo_config import RepoConfig

    folder = feast_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    return RepoConfig(repo_path=folder, **render_config_dict(settings, options))
