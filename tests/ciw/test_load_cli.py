"""``ciw load`` through ``ciw.cli.main``: one readable line and a non-zero exit on user errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from ciw.cli import main

ORDERS = Path(__file__).parents[1] / "corpus" / "cases" / "orders_only_mapped"


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.err.strip()


@pytest.fixture(autouse=True)
def _warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CIW_DUCKDB_PATH", str(tmp_path / "w.duckdb"))
    monkeypatch.delenv("CIW_TARGET", raising=False)
    monkeypatch.delenv("CIW_DEBUG", raising=False)


def _one_line(err: str) -> str:
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    return err


def test_a_bad_path_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    code, err = _run(["load", str(tmp_path / "nowhere")], capsys)
    assert code == 1
    assert _one_line(err) == (
        f"ciw: error: export directory {tmp_path / 'nowhere'} does not exist or is not a directory"
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "files:\n  - {pattern: '*.csv', table: commerce.invoices}\n",
            "unknown table 'commerce.invoices'",
        ),
        (
            "files:\n  - {pattern: '*.csv', table: commerce.orders, columns: {amount: Amount}}\n",
            "files[0].columns: commerce.orders has no column 'amount'; its columns: order_id,",
        ),
        (
            "files:\n  - {pattern: '*.csv', table: commerce.orders, timezone: Mars/Base}\n",
            "unknown time zone",
        ),
        ("files: [\n", "not valid YAML"),
    ],
)
def test_a_bad_mapping_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, message: str
):
    mapping = tmp_path / "mapping.yml"
    mapping.write_text(body, encoding="utf-8")
    code, err = _run(["load", str(ORDERS / "exports"), "--mapping", str(mapping)], capsys)
    assert code == 1
    assert _one_line(err).startswith(f"ciw: error: mapping {mapping}")
    assert message in err


def test_a_missing_mapping_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    code, err = _run(["load", str(tmp_path), "--mapping", str(tmp_path / "no.yml")], capsys)
    assert (
        code == 1
        and _one_line(err) == f"ciw: error: mapping file {tmp_path / 'no.yml'} does not exist"
    )


def test_unreachable_postgres_is_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("CIW_PG_PORT", "1")  # nothing listens on port 1
    code, err = _run(["load", str(ORDERS / "exports"), "--target", "postgres",
                      "--mapping", str(ORDERS / "mapping.yml")], capsys)  # fmt: skip
    assert code == 1
    assert _one_line(err).startswith("ciw: error: cannot reach PostgreSQL postgres@127.0.0.1:1/")


def test_a_corrupt_file_is_one_line(capsys: pytest.CaptureFixture[str]):
    corpus = Path(__file__).parents[1] / "corpus" / "cases" / "parquet_truncated" / "exports"
    code, err = _run(["load", str(corpus)], capsys)
    assert code == 1
    assert _one_line(err) == (
        "ciw: error: commerce/orders.parquet: truncated Parquet file (the footer is missing)"
    )


def test_max_bad_share_option_is_checked(capsys: pytest.CaptureFixture[str]):
    code, err = _run(["load", str(ORDERS / "exports"), "--max-bad-share", "2"], capsys)
    assert code == 2 and "--max-bad-share" in err


def test_load_with_mapping_prints_the_report(capsys: pytest.CaptureFixture[str]):
    code = main(["load", str(ORDERS / "exports"), "--mapping", str(ORDERS / "mapping.yml")])
    out = capsys.readouterr().out
    assert code == 0
    assert "commerce.orders" in out and "1 rows quarantined" in out
