"""What every ``ciw`` command shares: announcing what it is about to do."""

from __future__ import annotations

import pytest

from ciw.options import announce


def test_announce_says_what_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    announce("alerts from here to there", dry_run=False)
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", "alerts from here to there\n")


def test_announce_marks_a_dry_run(capsys: pytest.CaptureFixture[str]) -> None:
    announce("scores from here to there", dry_run=True)
    assert capsys.readouterr().err == "scores from here to there (dry run)\n"
