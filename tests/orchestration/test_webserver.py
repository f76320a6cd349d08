"""The UI starts on a free loopback port and its GraphQL API lists the assets and checks."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from warehouse.paths import PROJECT_ROOT

pytestmark = pytest.mark.slow

ASSETS_QUERY = """
{
  assetNodes {
    assetKey { path }
    groupName
    assetChecksOrError { ... on AssetChecks { checks { name } } }
  }
}
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(url: str, payload: bytes | None = None, timeout: float = 10) -> bytes:
    headers = {"Content-Type": "application/json"} if payload else {}
    request = urllib.request.Request(url, data=payload, headers=headers)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return bytes(response.read())


def test_webserver_serves_assets_grouped_with_their_checks(isolated: Path) -> None:
    from orchestration.instance import instance_env
    from warehouse.settings import Settings

    port = _free_port()
    env = {**os.environ, **instance_env(Settings(duckdb_path=isolated / "warehouse.duckdb"))}
    webserver = str(Path(sys.executable).with_name("dagster-webserver"))
    log = (isolated / "webserver.log").open("w")
    process = subprocess.Popen(
        [webserver, "-m", "orchestration.definitions", "-h", "127.0.0.1", "-p", str(port)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, (isolated / "webserver.log").read_text()[-2000:]
            try:
                _get(f"{base}/server_info", timeout=2)
                break
            except OSError:
                assert time.monotonic() < deadline, "webserver did not answer within 120 s"
                time.sleep(1)
        body = json.dumps({"query": ASSETS_QUERY}).encode()
        nodes = json.loads(_get(f"{base}/graphql", body, timeout=60))["data"]["assetNodes"]
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()

    groups = {"/".join(node["assetKey"]["path"]): node["groupName"] for node in nodes}
    staging = {key for key, group in groups.items() if group == "staging"}
    assert "staging/stg_commerce__orders" in staging
    assert groups["raw/commerce/orders"] == "raw"
    checks = {
        check["name"]
        for node in nodes
        if node["groupName"] == "staging"
        for check in node["assetChecksOrError"].get("checks", [])
    }
    assert "unique_stg_commerce__orders_order_id" in checks
