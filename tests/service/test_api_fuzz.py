"""Property-based fuzzing of the OpenAPI schema with schemathesis (bounded examples): whatever
a caller sends within or around the schema, the service never answers 5xx."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.service.conftest import Served, start
from warehouse.settings import Settings

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("built_duckdb")]

#: Examples per operation: small, so the whole schema takes well under a minute.
EXAMPLES = int(os.environ.get("CIW_FUZZ_EXAMPLES", "12"))
#: Routes that answer 503 by design in a test (no Slack signing secret, no event secrets set).
EXPECTED_503 = {"/slack/actions", "/readyz", "/events/{source}"}  # no event secrets set


@pytest.fixture(scope="module")
def api(duck_copy: Settings) -> Iterator[Served]:
    yield from start(duck_copy)


@pytest.mark.parametrize("who", ["admin", "rep"])
def test_no_generated_request_gets_a_server_error(api: Served, who: str) -> None:
    import schemathesis
    from hypothesis import HealthCheck, given, settings

    schema = schemathesis.openapi.from_url(f"{api.base}/openapi.json")
    headers = {"Authorization": f"Bearer {api.keys[who]}"}
    failures: list[str] = []
    tried = 0

    def prober(operation: Any) -> Any:
        path = operation.path

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def probe(case: schemathesis.Case) -> None:
            nonlocal tried
            tried += 1
            response = case.call(base_url=api.base, headers=headers, timeout=30)
            if response.status_code >= 500 and not (
                response.status_code == 503 and path in EXPECTED_503
            ):
                failures.append(f"{case.method} {case.formatted_path} -> {response.status_code}")

        return probe

    for result in schema.get_all_operations():
        prober(result.ok())()
    assert tried >= 10 * EXAMPLES // 2
    assert not failures, failures[:5]
