"""A real headless Chromium driven over the DevTools protocol, for page tests.

Like the drift report's browser test (tests/ml/monitoring/test_drift_report_browser.py) it runs
Debian's ``chromium``, skipped when it is missing unless ``CIW_REQUIRE_BROWSER=1``. Over the
DevTools websocket a test can sign in through the real form, load a page, wait for its charts,
read the rendered text, collect every console error, failed request and uncaught exception,
and save a screenshot.
"""

from __future__ import annotations

import base64
import json
import subprocess
import time
import urllib.request
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from tests.chromium import CHROMIUM_FLAGS, chromium_path

WIDTH, HEIGHT = 1100, 1000


class Browser:
    """One Chromium process and one tab."""

    def __init__(self, profile: Path) -> None:
        from websockets.sync.client import connect

        profile.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                chromium_path(),
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                "--remote-debugging-port=0",
                f"--window-size={WIDTH},{HEIGHT}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port = self._port(profile / "DevToolsActivePort")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as answer:
            targets = json.load(answer)
        tab = next(target for target in targets if target["type"] == "page")
        self._stack = ExitStack()
        self.socket = self._stack.enter_context(
            connect(tab["webSocketDebuggerUrl"], max_size=64 * 1024 * 1024)
        )
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable")
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False},
        )

    def _port(self, marker: Path) -> int:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if marker.exists() and marker.read_text().strip():
                return int(marker.read_text().split()[0])
            if self.process.poll() is not None:
                raise RuntimeError("Chromium exited before it opened its DevTools port")
            time.sleep(0.05)
        raise RuntimeError("Chromium did not open its DevTools port")

    def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        self._next_id += 1
        number = self._next_id
        self.socket.send(json.dumps({"id": number, "method": method, "params": params or {}}))
        while True:
            message = json.loads(self.socket.recv(timeout=60))
            if message.get("id") == number:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result
            self.events.append(message)

    def _wait_event(self, name: str, since: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(event.get("method") == name for event in self.events[since:]):
                return
            message = json.loads(self.socket.recv(timeout=timeout))
            if "id" not in message:
                self.events.append(message)
        raise TimeoutError(f"no {name} within {timeout} s")

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def open(self, url: str, *, charts: bool = True) -> None:
        """Load ``url`` and wait for its load event and (``charts``) for every chart."""
        since = len(self.events)
        self.call("Page.navigate", {"url": url})
        self._wait_event("Page.loadEventFired", since)
        if charts:
            self.wait_for(
                "document.querySelectorAll('[data-chart]:not([data-drawn])').length === 0"
            )

    def submit(self, expression: str) -> None:
        """Run ``expression`` (which submits a form) and wait for the next page to load."""
        since = len(self.events)
        self.evaluate(expression)
        self._wait_event("Page.loadEventFired", since)

    def wait_for(self, condition: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not self.evaluate(condition):
            if time.monotonic() > deadline:
                raise TimeoutError(f"still false after {timeout} s: {condition}")
            time.sleep(0.1)

    def text(self) -> str:
        return str(self.evaluate("document.body.innerText"))

    def html(self) -> str:
        """The document as the browser holds it (read through the DOM domain, so it works
        with the page's scripts switched off)."""
        root = self.call("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        return str(self.call("DOM.getOuterHTML", {"nodeId": root})["outerHTML"])

    def url(self) -> str:
        return str(self.evaluate("location.href"))

    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and failed loads seen so far."""
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                found.append(f"console: {params.get('args')}")
            elif method == "Runtime.exceptionThrown":
                found.append(f"exception: {params['exceptionDetails'].get('text')}")
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                found.append(f"log: {params['entry'].get('text')} {params['entry'].get('url')}")
            elif method == "Network.loadingFailed" and not params.get("canceled"):
                found.append(f"network: {params.get('errorText')}")
        return found

    def screenshot(self, path: Path) -> Path:
        data = self.call("Page.captureScreenshot", {"format": "png"})["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        try:
            self._stack.close()
        finally:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
