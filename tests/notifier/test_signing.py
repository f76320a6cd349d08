"""The signature check's edges, on a fixed clock (the endpoint tests cover it over HTTP)."""

from __future__ import annotations

import pytest

from notifier.signing import REPLAY_WINDOW_SECONDS, ReplayGuard, SignatureRejected, sign, verify

SECRET = "edge-secret"
BODY = b"payload=%7B%7D"
NOW = 1_800_000_000


def check(stamp: int, guard: ReplayGuard | None = None) -> None:
    verify(SECRET, str(stamp), sign(SECRET, str(stamp), BODY), BODY, guard or ReplayGuard(), NOW)


@pytest.mark.parametrize("offset", [-REPLAY_WINDOW_SECONDS, 0, REPLAY_WINDOW_SECONDS])
def test_timestamps_inside_the_window_pass(offset: int) -> None:
    check(NOW + offset)


@pytest.mark.parametrize("offset", [-REPLAY_WINDOW_SECONDS - 1, REPLAY_WINDOW_SECONDS + 1])
def test_a_second_outside_the_window_either_way_is_refused(offset: int) -> None:
    with pytest.raises(SignatureRejected, match="5-minute window"):
        check(NOW + offset)


def test_a_signature_is_accepted_once() -> None:
    guard = ReplayGuard()
    check(NOW, guard)
    with pytest.raises(SignatureRejected, match="replay"):
        check(NOW, guard)


@pytest.mark.parametrize("stamp", ["", " ", "12.5", "-3", "1e9"])
def test_a_timestamp_that_is_not_whole_seconds_is_refused(stamp: str) -> None:
    with pytest.raises(SignatureRejected):
        verify(SECRET, stamp, sign(SECRET, stamp, BODY), BODY, ReplayGuard(), NOW)
