"""API keys (hashed storage, verification cache, revocation), the rate limiter and scopes,
on a DuckDB warehouse of their own (no pipeline run needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from service.auth import Caller, RateLimiter
from service.keys import KEYS_TABLE, KeyRequestError, KeyStore, key_id_of, published_keys_path
from service.scope import Scope
from warehouse import adapter_for
from warehouse.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        target="duckdb", duckdb_path=tmp_path / "w.duckdb", artifacts_root=tmp_path / "artifacts"
    )


def test_a_key_is_stored_only_as_a_salted_hash_and_verifies(settings: Settings) -> None:
    store = KeyStore(settings)
    key_id, raw = store.create("rep", "USR0004")
    assert key_id_of(raw) == key_id
    with adapter_for(settings).session() as session:
        stored = session.rows(f"select * from {KEYS_TABLE}")
    assert len(stored) == 1
    flat = json.dumps(stored, default=str) + published_keys_path(settings).read_text()
    assert raw not in flat and raw.split("_", 2)[2] not in flat
    assert len(bytes.fromhex(stored[0]["salt"])) == 16
    assert store.verify(raw) == Caller(key_id, "rep", "USR0004")
    assert store.verify(raw[:-1] + ("A" if raw[-1] != "A" else "B")) is None
    assert store.verify("not-a-key") is None
    assert store.verify(f"ciw_{key_id}_guess") is None


def test_two_keys_of_one_user_get_different_salts(settings: Settings) -> None:
    store = KeyStore(settings)
    store.create("admin", "ops")
    store.create("admin", "ops")
    with adapter_for(settings).session() as session:
        salts = {row[0] for row in session.execute(f"select salt from {KEYS_TABLE}")}
    assert len(salts) == 2


def test_revocation_reaches_a_running_service_within_the_refresh(settings: Settings) -> None:
    service_side = KeyStore(settings, refresh_seconds=0.0)
    key_id, raw = KeyStore(settings).create("manager", "USR0002")
    assert service_side.verify(raw) is not None  # verified once: now cached
    assert KeyStore(settings).revoke(key_id)
    assert service_side.verify(raw) is None
    assert not KeyStore(settings).revoke(key_id)  # already revoked
    listed = KeyStore(settings).list()
    assert listed[0]["key_id"] == key_id and listed[0]["revoked_at"] is not None


def test_bad_key_requests_are_refused(settings: Settings) -> None:
    with pytest.raises(KeyRequestError, match="role"):
        KeyStore(settings).create("owner", "USR1")
    with pytest.raises(KeyRequestError, match="user"):
        KeyStore(settings).create("rep", "  ")


def test_rate_limiter_allows_the_burst_then_says_how_long_to_wait() -> None:
    limiter = RateLimiter(rate=2.0, burst=3)
    assert [limiter.take("k", now=10.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = limiter.take("k", now=10.0)
    assert wait == pytest.approx(0.5)
    assert limiter.take("other", now=10.0) == 0.0  # per key
    assert limiter.take("k", now=10.6) == 0.0  # refilled


def test_scopes_by_role() -> None:
    rep = Scope(Caller("a", "rep", "USR4"), frozenset({"USR4"}))
    assert rep.allows("USR4") and not rep.allows("USR5") and not rep.allows(None)
    assert rep.owner_filter("owner", "csm") == ("(owner in (%s) or csm in (%s))", ["USR4", "USR4"])
    cro = Scope(Caller("b", "cro", "C1"), None)
    assert cro.allows(None) and cro.allows("anyone") and cro.owner_filter("x") == ("true", [])
    manager = Scope(Caller("c", "manager", "M1"), frozenset({"M1", "USR4"}))
    assert manager.allows_alert(None) and not rep.allows_alert(None)
