"""The API served over real HTTP (uvicorn on a loopback port) on the session's built
warehouses, with one key per role.

On DuckDB the module gets a copy of the built warehouse (file, Feast store, snapshot), so its
key and alert changes stay its own. On PostgreSQL keys are added to the built database (the
``ops.api_keys`` rows are the only change; tests that change alerts say so in their names).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from benchmarks.http_server import serve
from service.app import ServiceOptions, create_app
from service.keys import KeyStore
from tests.built import BuiltWarehouse
from warehouse.settings import Settings

#: Generous enough that no functional test meets the limit; the 429 test builds its own app.
OPTIONS = ServiceOptions(rate_per_second=1000.0, burst=1000)


@dataclass
class Served:
    """A running service: its URL, settings and a key per role."""

    base: str
    settings: Settings
    keys: dict[str, str]
    users: dict[str, str]
    app: Any
    clients: dict[str, httpx.Client] = field(default_factory=dict)

    def get(self, who: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.client(who).get(path, **kwargs)

    def patch(self, who: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.client(who).patch(path, **kwargs)

    def client(self, who: str) -> httpx.Client:
        if who not in self.clients:
            headers = {"Authorization": f"Bearer {self.keys[who]}"} if who in self.keys else {}
            self.clients[who] = httpx.Client(base_url=self.base, headers=headers, timeout=60)
        return self.clients[who]


def team_users(settings: Settings) -> dict[str, str]:
    """A manager with at least two reps, one of those reps, and a rep of another manager."""
    from warehouse import adapter_for

    with adapter_for(settings).session() as session:
        pairs = session.execute(
            "select distinct manager_user_id, owner_user_id from marts.lead_scores"
            " where manager_user_id is not null and owner_user_id is not null"
            " order by 1, 2"
        )
    teams: dict[str, list[str]] = {}
    for manager, rep in pairs:
        teams.setdefault(str(manager), []).append(str(rep))
    manager = max(sorted(teams), key=lambda name: len(teams[name]))
    outsider = next(rep for name, reps in sorted(teams.items()) if name != manager for rep in reps)
    return {
        "manager": manager,
        "rep": teams[manager][0],
        "teammate": teams[manager][1],
        "outsider": outsider,
        "team": ",".join(teams[manager]),
    }


def start(settings: Settings, options: ServiceOptions = OPTIONS) -> Iterator[Served]:
    users = team_users(settings)
    store = KeyStore(settings)
    keys = {
        "admin": store.create("admin", "ops-admin")[1],
        "cro": store.create("cro", "cro-user")[1],
        "manager": store.create("manager", users["manager"])[1],
        "rep": store.create("rep", users["rep"])[1],
        "outsider": store.create("rep", users["outsider"])[1],
    }
    app = create_app(settings, options)
    with serve(app) as base:
        served = Served(base, settings, keys, users, app)
        # Feast loads in the background: wait for it so no test measures it.
        served.get("admin", "/readyz")
        yield served
        for client in served.clients.values():
            client.close()


@pytest.fixture(scope="module")
def duck_copy(built_duckdb: BuiltWarehouse, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A copy of the built DuckDB warehouse with its Feast store and marts snapshot."""
    root = tmp_path_factory.mktemp("api_duckdb")
    source = built_duckdb.settings
    shutil.copy2(source.duckdb_path, root / "warehouse.duckdb")
    shutil.copytree(source.artifacts_dir, root / "artifacts", symlinks=True)
    return replace(source, duckdb_path=root / "warehouse.duckdb", artifacts_root=root / "artifacts")


@pytest.fixture(scope="module")
def duckdb_api(duck_copy: Settings) -> Iterator[Served]:
    yield from start(duck_copy)


#: Each target's tests on the worker that builds its warehouse (the fixtures below pick the
#: built warehouse by name at run time, which the automatic grouping cannot see).
ON_BUILT_WAREHOUSES = [
    pytest.param("duckdb", marks=pytest.mark.xdist_group("built_duckdb")),
    pytest.param(
        "postgres", marks=[pytest.mark.postgres, pytest.mark.xdist_group("built_postgres")]
    ),
]


@pytest.fixture(scope="module", params=ON_BUILT_WAREHOUSES)
def api(request: pytest.FixtureRequest) -> Served:
    """The service on each built warehouse in turn (the DuckDB one is the module's copy)."""
    served: Served = request.getfixturevalue(f"{request.param}_api")
    return served


@pytest.fixture(scope="module")
def postgres_api(built_postgres: BuiltWarehouse) -> Iterator[Served]:
    yield from start(built_postgres.settings)


def first_customer(served: Served) -> int:
    from warehouse import adapter_for

    with adapter_for(served.settings).session() as session:
        return int(session.execute("select min(customer_id) from marts.customer_risk_scores")[0][0])


def empty_settings(tmp: Path) -> Settings:
    return Settings(target="duckdb", duckdb_path=tmp / "w.duckdb", artifacts_root=tmp / "a")
