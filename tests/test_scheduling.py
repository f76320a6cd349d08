"""The suite's own scheduling rule (tests/conftest.py): slow single tests are handed out before
quick ones, and a group's tests keep their order."""

from __future__ import annotations

from dataclasses import dataclass

from tests.conftest import scheduling_rank


@dataclass
class FakeItem:
    name: str
    marks: tuple[str, ...] = ()

    def get_closest_marker(self, name: str) -> object | None:
        return name if name in self.marks else None


def test_slow_single_tests_go_first_and_groups_keep_their_order() -> None:
    items = [
        FakeItem("quick"),
        FakeItem("built_reads", ("xdist_group",)),
        FakeItem("pipeline", ("slow",)),
        FakeItem("quick_too"),
        FakeItem("built_changes_last", ("xdist_group", "slow")),
        FakeItem("built_reads_again", ("xdist_group",)),
    ]
    ordered = sorted(items, key=scheduling_rank)  # type: ignore[arg-type]
    assert [item.name for item in ordered] == [
        "built_reads",
        "pipeline",
        "built_changes_last",
        "built_reads_again",
        "quick",
        "quick_too",
    ]
