"""A daily run's data tests read the as-of dates the run built (macros dates_built.sql).

Build ``customer_order_features`` as of D, plant a duplicate row on the oldest as-of date (a
row no daily run rewrites), then build the model and its tests incrementally as of D+1: the
tests read only the dates that build wrote (the log holds its first one) and pass. The same
tests on their own, in an invocation that built nothing, read every row and find the duplicate;
a ``--full-refresh`` build logs the spine's first date, so its tests read every row too.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from sources.generate import generate
from sources.generate.config import GeneratorConfig
from sources.load.loader import load_directory
from warehouse import adapter_for
from warehouse.dbt import DbtFailure, run_dbt
from warehouse.settings import Settings

pytestmark = pytest.mark.slow

END_DATE = dt.date(2026, 11, 1)
FIRST_AS_OF, NEXT_AS_OF = "2026-11-02", "2026-11-03"
MODEL = "customer_order_features"


def _dbt(
    settings: Settings, target: Path, monkeypatch: pytest.MonkeyPatch, as_of: str, *args: str
) -> None:
    monkeypatch.setenv("CIW_AS_OF_DATE", as_of)
    # Cautious: no test of a selected model whose other parent (a relationship) is not built.
    arguments = [*args, "--exclude", "resource_type:unit_test", "--indirect-selection", "cautious"]
    run_dbt(arguments, settings, target_path=target)


def _scalar(settings: Settings, sql: str) -> object:
    with adapter_for(settings).session() as session:
        return session.execute(sql)[0][0]


def _first_date_logged(settings: Settings) -> str:
    return str(
        _scalar(
            settings,
            "select first_as_of_date from intermediate.dbt_as_of_dates_built"
            f" where model_name = '{MODEL}'",
        )
    )


def _compiled_unique_test(target: Path) -> str:
    """The unique (customer_id, as_of_date) test of the model, as the last command ran it
    (its file name is a hash of its arguments)."""
    (text,) = (
        path.read_text()
        for path in (target / "run").rglob("unique_combination_of_columns_*.sql")
        if f'"{MODEL}"' in path.read_text()
    )
    return text


def test_a_daily_run_tests_the_dates_it_built(
    warehouse_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, target = warehouse_settings, tmp_path / "dbt_target"
    exports = tmp_path / "exports"
    generate(exports, GeneratorConfig(customers=150, seed=5, end_date=END_DATE))
    load_directory(exports, settings)
    _dbt(settings, target, monkeypatch, FIRST_AS_OF, "build", "--select", f"+{MODEL}")
    spine_start = str(_scalar(settings, f"select min(as_of_date) from features.{MODEL}"))
    assert _first_date_logged(settings) == spine_start  # the first build tested every date
    assert f"as_of_date >= cast('{spine_start}' as date)" in _compiled_unique_test(target)

    with adapter_for(settings).session(transaction=True) as session:
        session.execute(
            f"insert into features.{MODEL} select * from features.{MODEL}"
            f" where as_of_date = '{spine_start}' and customer_id = ("
            f"select min(customer_id) from features.{MODEL} where as_of_date = '{spine_start}')"
        )

    _dbt(settings, target, monkeypatch, NEXT_AS_OF, "build", "--select", MODEL)
    first_built = _first_date_logged(settings)
    assert spine_start < first_built <= FIRST_AS_OF  # the lookback, not the whole spine
    assert f"as_of_date >= cast('{first_built}' as date)" in _compiled_unique_test(target)

    with pytest.raises(DbtFailure):
        _dbt(settings, target, monkeypatch, NEXT_AS_OF, "test", "--select", MODEL)
    assert "as_of_date >=" not in _compiled_unique_test(target)

    _dbt(settings, target, monkeypatch, NEXT_AS_OF, "build", "--select", MODEL, "--full-refresh")
    assert _first_date_logged(settings) == str(
        _scalar(settings, f"select min(as_of_date) from features.{MODEL}")
    )
