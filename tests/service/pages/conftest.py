"""The service over the session's built warehouses, with API keys of every role.

The keys live in a key store of their own (a small DuckDB file beside the test), so that the
built warehouse, shared by the whole session, is only read. The people are picked from the
built warehouse: a rep with open deals and leads, their manager, and a rep outside that team.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from benchmarks.http_server import serve
from service.keys import KeyStore
from tests.built import BuiltWarehouse
from warehouse.settings import Settings


@dataclass
class People:
    rep: str
    manager: str
    outside_rep: str


@dataclass
class PagesService:
    base_url: str
    app: Any
    built: BuiltWarehouse
    people: People
    keys: dict[str, str]  # role -> raw key

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=60, follow_redirects=False)

    @contextmanager
    def signed_in(self, role: str) -> Iterator[httpx.Client]:
        with self.client() as client:
            login(client, self.keys[role])
            yield client


def login(client: httpx.Client, raw_key: str, target: str = "/pages/") -> httpx.Response:
    form = client.get("/pages/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token, form.text
    return client.post(
        "/pages/login", data={"api_key": raw_key, "csrf_token": token.group(1), "next": target}
    )


def pick_people(built: BuiltWarehouse, scope_of_manager: Any) -> People:
    reps = built.query(
        "select risk.owner_user_id, risk.manager_user_id from marts.rep_deal_risk as risk"
        " where risk.manager_user_id is not null and risk.owner_user_id in"
        " (select owner_user_id from marts.lead_scores)"
        " order by risk.open_deal_count desc, risk.owner_user_id"
    )
    assert reps, "the built warehouse has no rep with a manager, open deals and leads"
    rep, manager = reps[0]
    team = scope_of_manager(manager)
    everyone = [row[0] for row in built.query("select owner_user_id from marts.rep_deal_risk")]
    outside = [user for user in everyone if user not in team and user != rep]
    assert outside, "every rep reports to one manager: no rep outside the team to test with"
    return People(rep=rep, manager=manager, outside_rep=sorted(outside)[0])


@pytest.fixture(scope="module")
def pages_service(
    built_duckdb: BuiltWarehouse, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PagesService]:
    yield from _service(built_duckdb, tmp_path_factory)


@pytest.fixture(scope="module")
def pages_service_postgres(
    built_postgres: BuiltWarehouse, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PagesService]:
    yield from _service(built_postgres, tmp_path_factory)


def _service(
    built: BuiltWarehouse, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PagesService]:
    from service.app import create_app
    from service.auth import Caller

    root = tmp_path_factory.mktemp("pages_keys")
    key_settings = Settings(
        target="duckdb", duckdb_path=root / "keys.duckdb", artifacts_root=root / "artifacts"
    )
    app = create_app(built.settings)
    store = KeyStore(key_settings, refresh_seconds=0.0)
    app.state.keys = store

    def scope_of(manager: str) -> frozenset[str]:
        owners = app.state.scopes.scope(Caller("probe", "manager", manager)).owner_ids
        return owners or frozenset()

    people = pick_people(built, scope_of)
    keys = {
        "admin": store.create("admin", "ADMIN")[1],
        "cro": store.create("cro", "CRO")[1],
        "manager": store.create("manager", people.manager)[1],
        "rep": store.create("rep", people.rep)[1],
        "outside_rep": store.create("rep", people.outside_rep)[1],
    }
    with serve(app) as base_url:
        yield PagesService(base_url, app, built, people, keys)


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where page screenshots go: ``CIW_TEST_ARTIFACTS``/pages, else the session's temp."""
    root = os.environ.get("CIW_TEST_ARTIFACTS")
    folder = Path(root) / "pages" if root else tmp_path_factory.mktemp("page_screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
