"""``ciw backtest`` through the real command line: on a generated orders-only export, and the
bad inputs that must end in one readable line."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from ciw.backtest_grid import generated_transactions, write_orders_only_export
from ciw.cli import main
from warehouse.settings import Settings

END = dt.date(2026, 10, 31)
CALIBRATION_END = dt.date(2026, 7, 31)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The user's own DuckDB warehouse (with a table in it) and a backtest folder, both temp."""
    user = tmp_path / "mine.duckdb"
    with duckdb.connect(str(user)) as connection:
        connection.execute("create table mine as select 42 as answer")
    monkeypatch.setenv("CIW_DUCKDB_PATH", str(user))
    monkeypatch.setenv("CIW_BACKTEST_DIR", str(tmp_path / "backtest"))
    monkeypatch.setenv("CIW_ARTIFACTS_DIR", str(tmp_path / "my_artifacts"))
    monkeypatch.delenv("CIW_TARGET", raising=False)
    return user


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _export(tmp_path: Path, customers: int = 1_500) -> tuple[Path, Path]:
    transactions = generated_transactions(customers, 11, END, tmp_path / "generated")
    return write_orders_only_export(transactions, tmp_path / "shop", dt.date(2020, 1, 1), END)


def _check_document(document: dict[str, object]) -> None:
    metrics = document["metrics"]
    assert isinstance(metrics, dict)
    for scorer in ("project", "bgnbd_gamma_gamma"):
        for part, names in (
            ("churn", ("roc_auc", "pr_auc", "brier", "lift_at_10", "share_scored")),
            ("revenue", ("mae", "spearman", "total_revenue_error", "share_scored")),
        ):
            for name in names:
                value = metrics[scorer][part][name]
                assert isinstance(value, float | int), (scorer, part, name, value)
        assert metrics[scorer]["churn"]["share_scored"] == 1.0
        assert 0.6 < metrics[scorer]["churn"]["roc_auc"] <= 1.0


@pytest.mark.slow
def test_backtest_on_an_orders_only_export(
    tmp_path: Path, isolated: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    export, mapping = _export(tmp_path)
    before = _digest(isolated)
    out = tmp_path / "out"
    code = main(
        [
            "backtest",
            "--calibration-end",
            CALIBRATION_END.isoformat(),
            "--holdout-end",
            END.isoformat(),
            "--exports",
            str(export),
            "--mapping",
            str(mapping),
            "--out",
            str(out),
        ]
    )
    captured = capfd.readouterr()
    assert code == 0, captured.err
    document = json.loads((out / "backtest.json").read_text())
    assert document["as_of_date"] == "2026-08-01"
    assert document["horizon_days"] == 92
    _check_document(document)
    champions = document["champions"]
    assert set(champions) == {"customer_churn", "customer_clv"}
    for champion in champions.values():
        assert champion["status"] == "champion" and champion["version"]
    for name in ("churn_lift", "churn_calibration", "revenue_predicted_vs_actual"):
        assert (out / f"{name}.png").read_bytes()[:8] == PNG_MAGIC
    assert "ROC-AUC" in captured.out and "BG/NBD + GG" in captured.out
    # The ceiling read the run's order features: every calibration customer, a real ROC-AUC.
    ceiling = document["metrics"]["ceiling"]
    assert ceiling["churn"]["share_scored"] == 1.0 and 0.5 < ceiling["churn"]["roc_auc"] <= 1.0
    assert ceiling["revenue"]["spearman"] is not None
    header = next(line for line in captured.out.splitlines() if "BG/NBD + GG" in line)
    assert header.split()[-1] == "ceiling"
    assert str(out / "backtest.json") in captured.out
    table = captured.out.split("results: ")[0].splitlines()
    assert table and all(len(line) <= 80 for line in table), [row for row in table if len(row) > 80]
    assert "running the pipeline as of 2026-08-01" in captured.err  # progress on screen
    assert "dbt" in (out / "backtest.log").read_text()  # the details in the log
    # The user's warehouse and artifacts are untouched; the backtest's raw layer stops at D.
    assert _digest(isolated) == before
    assert not (tmp_path / "my_artifacts").exists()
    warehouse = tmp_path / "backtest" / CALIBRATION_END.isoformat() / "warehouse.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        latest = connection.execute("select max(ordered_at) from raw_commerce.orders").fetchone()
    assert latest is not None and latest[0] < dt.datetime(2026, 8, 1)


@pytest.mark.slow
@pytest.mark.postgres
def test_backtest_on_postgres_leaves_the_users_database_alone(
    tmp_path: Path,
    isolated: Path,
    postgres_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    from warehouse import read_frame

    export, mapping = _export(tmp_path, customers=1_000)
    monkeypatch.setenv("CIW_PG_DATABASE", postgres_settings.pg_database)
    out = tmp_path / "out"
    arguments = ["--exports", str(export), "--mapping", str(mapping), "--out", str(out)]
    code = main(
        [
            "backtest",
            "--target",
            "postgres",
            "--calibration-end",
            CALIBRATION_END.isoformat(),
            "--holdout-end",
            END.isoformat(),
            *arguments,
        ]
    )
    assert code == 0, capfd.readouterr().err
    document = json.loads((out / "backtest.json").read_text())
    assert "ciw_backtest" in document["warehouse"]
    _check_document(document)
    schemas = read_frame(
        postgres_settings,
        "select schema_name from information_schema.schemata where left(schema_name, 3) = 'raw'",
    )
    assert schemas.empty  # nothing was loaded into the user's database


def _error_line(capfd: pytest.CaptureFixture[str]) -> str:
    captured = capfd.readouterr()
    assert "Traceback" not in captured.err + captured.out
    errors = [line for line in captured.err.splitlines() if line.startswith("ciw: ")]
    assert len(errors) == 1, captured.err
    return errors[0]


def _orders_csv(folder: Path, rows: list[tuple[int, str, float]]) -> Path:
    export = folder / "export"
    export.mkdir(parents=True)
    frame = pd.DataFrame(rows, columns=["customer", "date", "amount"])
    frame.to_csv(export / "transactions.csv", index=False)
    return export


def test_bad_inputs_end_in_one_line(
    tmp_path: Path, isolated: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    from ciw.backtest_grid import ORDERS_ONLY_MAPPING

    mapping = tmp_path / "mapping.yml"
    mapping.write_text(ORDERS_ONLY_MAPPING)
    late = _orders_csv(tmp_path / "late", [(1, "2026-09-01 10:00:00", 10.0)])
    empty = tmp_path / "empty"
    empty.mkdir()
    cancelled = tmp_path / "cancelled.yml"
    cancelled.write_text(ORDERS_ONLY_MAPPING.replace("completed", "cancelled"))
    bad_mapping = tmp_path / "bad.yml"
    bad_mapping.write_text(ORDERS_ONLY_MAPPING.replace("order_total: amount", "order_sum: amount"))
    window = ["--calibration-end", "2026-06-30", "--holdout-end", "2026-09-30"]
    cases = [
        (["--calibration-end", "2026-06-30", "--holdout-end", "2026-06-30"], "must be after"),
        ([*window, "--exports", str(tmp_path / "absent")], "export folder not found"),
        ([*window, "--exports", str(late), "--mapping", str(mapping)], "no orders on or before"),
        ([*window, "--exports", str(empty)], "no export files found"),
        ([*window, "--exports", str(late), "--mapping", str(cancelled)], "no customers' orders"),
        ([*window, "--exports", str(late), "--mapping", str(bad_mapping)], "order_sum"),
        (["--calibration-end", "2026-06-30"], "both required"),
    ]
    before = _digest(isolated)
    for arguments, expected in cases:
        assert main(["backtest", *arguments, "--out", str(tmp_path / "out")]) == 1, arguments
        line = _error_line(capfd)
        assert line.startswith("ciw: error: ") and expected in line, (arguments, line)
    assert _digest(isolated) == before
