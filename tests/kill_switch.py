"""Crash tests for clients of a stand-in server: the client runs in a child process, and the
stand-in kills it with SIGKILL at its n-th request, before or after acting on it.

A stand-in inherits ``KillSwitch`` and calls ``count_request()`` on every request, then
``kill_client()`` at the moment it says; ``run_child`` starts the child and arms the switch
with its pid before the child sends anything.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

KillWhen = Literal["before", "after"]
PROJECT_ROOT = Path(__file__).resolve().parents[1]


class KillSwitch:
    """Counts a stand-in's requests and kills the armed client process at one of them."""

    def __init__(self) -> None:
        #: (n-th request, pid, before or after acting on it)
        self.kill_on_request: tuple[int, int, KillWhen] | None = None
        self.requests = 0
        self.killed = False
        self._switch_lock = threading.Lock()

    def count_request(self) -> KillWhen | None:
        """Count a request; when it is the one to crash the client on, say when."""
        with self._switch_lock:
            self.requests += 1
            if self.kill_on_request and self.requests == self.kill_on_request[0]:
                return self.kill_on_request[2]
        return None

    def kill_client(self) -> None:
        assert self.kill_on_request is not None
        os.kill(self.kill_on_request[1], signal.SIGKILL)
        self.killed = True


def run_child(
    code: str, env: Mapping[str, str], switch: KillSwitch, request: int, when: KillWhen
) -> int:
    """Run ``code`` (which first reads a line from stdin) in a child process, killed at its
    ``request``-th request; its return code (-9 when killed)."""
    child = subprocess.Popen(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, env=dict(env), stdin=subprocess.PIPE
    )
    switch.kill_on_request = (request, child.pid, when)
    assert child.stdin is not None
    child.stdin.write(b"go\n")  # the switch knows the pid now: the child may start
    child.stdin.close()
    return child.wait(timeout=120)
