"""SQL the project writes by hand reads the same on every target.

Spark joins adjacent string literals, so the standard escape of an apostrophe, ``'week''s'``,
reads there as ``'week' 's'``: "weeks" (found by comparing the alert candidates built on
Spark with DuckDB's). Text with an apostrophe goes through ``text_literal``, which writes the
literal each target reads as written.
"""

from __future__ import annotations

import re

from warehouse.paths import DBT_PROJECT_DIR

DOUBLED_QUOTE_IN_TEXT = re.compile(r"[A-Za-z]''[A-Za-z]")
FOLDERS = ("models", "macros", "snapshots", "analyses", "tests")


def test_no_sql_escapes_an_apostrophe_by_doubling_it() -> None:
    found = [
        f"{path.relative_to(DBT_PROJECT_DIR)}:{number}: {line.strip()}"
        for folder in FOLDERS
        for path in sorted((DBT_PROJECT_DIR / folder).rglob("*.sql"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if DOUBLED_QUOTE_IN_TEXT.search(line)
    ]
    assert not found, "use text_literal(...) for text with an apostrophe:\n" + "\n".join(found)
