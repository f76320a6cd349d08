"""``ciw backtest`` through the real command line: on a generated orders-only export, and the
bad inputs that must end in one readable line."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from ciw.backtest_grid import generated_transactions, write_orders_only_export
from ciw.cli import main
from warehouse.settings import Settings

END = dt.date(2026, 10, 31)
CALIBRATION_END = dt.date(2026, 7, 31)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
#: The evaluator's case: two years of orders, the last 120 days held out.
HOLDOUT_DAYS = 120
EVALUATION_END = END - dt.timedelta(days=1)
EVALUATION_CALIBRATION_END = EVALUATION_END - dt.timedelta(days=HOLDOUT_DAYS)


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
def test_backtest_on_an_orders_only_export_beats_bgnbd(
    tmp_path: Path, isolated: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """What an evaluator with held-out transactions does: two years of orders (customer, date,
    amount), the pipeline as of the day after the calibration end with both horizons the
    holdout's length, every calibration customer scored, and the scores better than BG/NBD +
    Gamma-Gamma on the holdout; the baseline the backtest reports is checked against the
    textbook fit written here, in the test."""
    from tests.integration.textbook_btyd import textbook_btyd

    transactions = generated_transactions(3000, 11, END, tmp_path / "generated", 730)
    export, mapping = write_orders_only_export(
        transactions, tmp_path / "shop", dt.date(2020, 1, 1), END
    )
    before = _digest(isolated)
    out = tmp_path / "out"
    window = [
        "--calibration-end",
        EVALUATION_CALIBRATION_END.isoformat(),
        "--holdout-end",
        EVALUATION_END.isoformat(),
    ]
    code = main(
        [
            "backtest",
            *window,
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
    as_of = EVALUATION_CALIBRATION_END + dt.timedelta(days=1)
    assert document["as_of_date"] == as_of.isoformat()
    assert document["horizon_days"] == HOLDOUT_DAYS
    _check_document(document)
    champions = document["champions"]
    assert set(champions) == {"customer_churn", "customer_clv"}
    for champion in champions.values():
        assert champion["status"] == "champion" and champion["version"]

    # Every calibration customer has both scores, for the holdout's horizon.
    warehouse = tmp_path / "backtest" / EVALUATION_CALIBRATION_END.isoformat() / "warehouse.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        scores = connection.execute(
            "select customer_id, churn_probability, predicted_revenue, churn_horizon_days,"
            " clv_horizon_days from marts.customer_risk_scores"
        ).df()
        latest = connection.execute("select max(ordered_at) from raw_commerce.orders").fetchone()
    # The backtest's raw layer stops at D: nothing of the holdout leaked in.
    assert latest is not None and latest[0] < dt.datetime.combine(as_of, dt.time())
    stamped = transactions.assign(timestamp=pd.to_datetime(transactions["date"], utc=True))
    cutoff = pd.Timestamp(as_of, tz="UTC")
    calibration = stamped[stamped["timestamp"] < cutoff]
    holdout = stamped[
        (stamped["timestamp"] >= cutoff)
        & (stamped["timestamp"] < cutoff + pd.Timedelta(days=HOLDOUT_DAYS))
    ]
    customers = pd.Index(sorted(calibration["customer"].unique()))
    scored = scores.set_index("customer_id").reindex(customers)
    assert scored["churn_probability"].notna().all()
    assert scored["predicted_revenue"].notna().all()
    assert set(scored["churn_horizon_days"]) == set(scored["clv_horizon_days"]) == {HOLDOUT_DAYS}

    # The scores beat BG/NBD + Gamma-Gamma on the holdout, as the backtest reports them ...
    metrics = document["metrics"]
    project, baseline = metrics["project"], metrics["bgnbd_gamma_gamma"]
    assert project["churn"]["roc_auc"] > baseline["churn"]["roc_auc"]
    assert project["revenue"]["mae"] < baseline["revenue"]["mae"]
    # ... and as this test computes them, with its own textbook fit of the baseline.
    actual_revenue = holdout.groupby("customer")["amount"].sum().reindex(customers, fill_value=0)
    actual_churn = ~customers.isin(holdout["customer"])
    textbook = textbook_btyd(calibration, as_of, HOLDOUT_DAYS).reindex(customers)
    model_auc = roc_auc_score(actual_churn, scored["churn_probability"])
    textbook_auc = roc_auc_score(actual_churn, textbook["churn"])
    model_mae = float(np.mean(np.abs(scored["predicted_revenue"].astype(float) - actual_revenue)))
    textbook_mae = float(np.mean(np.abs(textbook["revenue"] - actual_revenue)))
    print(
        f"churn ROC-AUC model {model_auc:.4f} vs BG/NBD {textbook_auc:.4f}; "
        f"revenue MAE model {model_mae:.2f} vs BG/NBD+GG {textbook_mae:.2f}"
    )
    assert model_auc == pytest.approx(project["churn"]["roc_auc"], abs=1e-9)
    assert textbook_auc == pytest.approx(baseline["churn"]["roc_auc"], abs=0.01)
    assert model_auc > textbook_auc
    assert model_mae < textbook_mae

    for name in ("churn_lift", "churn_calibration", "revenue_predicted_vs_actual"):
        assert (out / f"{name}.png").read_bytes()[:8] == PNG_MAGIC
    assert "ROC-AUC" in captured.out and "BG/NBD + GG" in captured.out
    # The ceiling read the run's order features: every calibration customer, a real ROC-AUC.
    ceiling = metrics["ceiling"]
    assert ceiling["churn"]["share_scored"] == 1.0 and 0.5 < ceiling["churn"]["roc_auc"] <= 1.0
    assert ceiling["revenue"]["spearman"] is not None
    header = next(line for line in captured.out.splitlines() if "BG/NBD + GG" in line)
    assert header.split()[-1] == "ceiling"
    assert str(out / "backtest.json") in captured.out
    table = captured.out.split("results: ")[0].splitlines()
    assert table and all(len(line) <= 80 for line in table), [row for row in table if len(row) > 80]
    assert f"running the pipeline as of {as_of.isoformat()}" in captured.err  # progress on screen
    assert "dbt" in (out / "backtest.log").read_text()  # the details in the log
    # The user's warehouse and artifacts are untouched.
    assert _digest(isolated) == before
    assert not (tmp_path / "my_artifacts").exists()


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
