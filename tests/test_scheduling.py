"""The suite's own scheduling rule (tests/conftest.py): the longest worker groups are handed out
first (Spark's, then the built warehouses'), slow single tests before quick ones, and a group's
tests keep their order."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.conftest import scheduling_rank


@dataclass
class FakeItem:
    name: str
    marks: tuple[pytest.MarkDecorator, ...] = ()

    def get_closest_marker(self, name: str) -> pytest.Mark | None:
        return next((mark.mark for mark in self.marks if mark.name == name), None)


def _group(name: str) -> pytest.MarkDecorator:
    return pytest.mark.xdist_group(name)


def test_longest_groups_first_then_slow_tests_and_groups_keep_their_order() -> None:
    items = [
        FakeItem("quick"),
        FakeItem("built_reads", (_group("built_duckdb"),)),
        FakeItem("pipeline", (pytest.mark.slow,)),
        FakeItem("postgres_reads", (_group("built_postgres"),)),
        FakeItem("spark_build", (pytest.mark.slow, _group("spark"))),
        FakeItem("quick_too"),
        FakeItem("built_changes_last", (_group("built_duckdb"), pytest.mark.slow)),
        FakeItem("other_group", (_group("notifier"),)),
        FakeItem("built_reads_again", (_group("built_duckdb"),)),
        FakeItem("spark_reads", (_group("spark"),)),
    ]
    ordered = sorted(items, key=scheduling_rank)  # type: ignore[arg-type]
    assert [item.name for item in ordered] == [
        "spark_build",
        "spark_reads",
        "built_reads",
        "built_changes_last",
        "built_reads_again",
        "postgres_reads",
        "pipeline",
        "other_group",
        "quick",
        "quick_too",
    ]
