"""The notifier's headings and emoji come from the dbt seed alert_types, the one list of alert
types; a seed the notifier cannot use is refused naming the file, row and column."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

import notifier.alert_types
from notifier.alert_types import ALERT_TYPES_CSV, AlertTypesError, read_alert_types
from notifier.messages import SEVERITY_EMOJI, render_alert
from tests.notifier.conftest import make_alert

HEADER = (
    "alert_type,entity_type,model_name,heading,factors_heading,actions_heading,emoji,"
    "fallback_channel"
)


def _seed_rows() -> list[dict[str, str]]:
    with ALERT_TYPES_CSV.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "alert_types.csv"
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "row", _seed_rows(), ids=lambda row: f"{row['alert_type']}-{row['entity_type']}"
)
def test_every_alert_type_of_the_seed_renders_its_heading_and_emoji(row: dict[str, str]) -> None:
    for severity in ("critical", "medium"):
        alert = make_alert(1, severity=severity, alert_type=row["alert_type"])

        message = render_alert(alert, alert.recipient)

        emoji = row["emoji"] or SEVERITY_EMOJI[severity]
        assert message.blocks[0]["text"]["text"] == f"{emoji} {row['heading']}"
        assert f"*{row['factors_heading']}:*" in message.blocks[2]["text"]["text"]
        assert f"*{row['actions_heading']}:*" in message.blocks[3]["text"]["text"]


def test_an_edit_of_the_seed_is_what_slack_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path, "high_risk_deal,opportunity,deal_risk,Deal At Risk,Why,Do This,🔥,#a")
    monkeypatch.setattr(notifier.alert_types, "ALERT_TYPES_CSV", path)
    notifier.alert_types.alert_types.cache_clear()
    try:
        message = render_alert(make_alert(1), "U0REP00001")
    finally:
        notifier.alert_types.alert_types.cache_clear()

    assert message.text.splitlines()[0] == "🔥 Deal At Risk"
    assert "*Why:*" in message.blocks[2]["text"]["text"]
    assert "*Do This:*" in message.blocks[3]["text"]["text"]


def test_a_type_the_seed_does_not_know_still_renders() -> None:
    alert = make_alert(1, alert_type="new_kind_of_alert")

    message = render_alert(alert, alert.recipient)

    assert message.blocks[0]["text"]["text"] == "🔔 New Kind Of Alert"
    assert "*Factors:*" in message.blocks[2]["text"]["text"]


def test_rows_of_one_type_share_their_headings(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "churn_risk,customer,customer_churn,Churn Risk Alert,Top Risk Factors,Actions,,#a",
        "churn_risk,account,account_churn,Churn Risk Alert,Top Risk Factors,Actions,,#b",
        "usage_decline,account,,Usage Decline,Signals,Actions,📉,#c",
    )

    types = read_alert_types(path)

    assert set(types) == {"churn_risk", "usage_decline"}
    assert types["churn_risk"].emoji is None
    assert types["usage_decline"].factors_heading == "Signals"


@pytest.mark.parametrize(
    ("lines", "error"),
    [
        (
            ["churn_risk,customer,,Churn Risk,Top Risk Factors,,,#a"],
            "row 2, column actions_heading: empty",
        ),
        (
            [
                "churn_risk,customer,,Churn Risk,Factors,Actions,,#a",
                "churn_risk,account,,Churn Risk Alert,Factors,Actions,,#a",
            ],
            "row 3, column heading: churn_risk has 'Churn Risk Alert' here but 'Churn Risk' "
            "on row 2",
        ),
        (
            [
                "ltv_milestone,customer,,LTV Milestone,Why now,Actions,🏆,#a",
                "ltv_milestone,account,,LTV Milestone,Why now,Actions,🥇,#a",
            ],
            "row 3, column emoji",
        ),
    ],
)
def test_a_seed_the_notifier_cannot_use_is_refused_naming_row_and_column(
    tmp_path: Path, lines: list[str], error: str
) -> None:
    path = _write(tmp_path, *lines)

    with pytest.raises(AlertTypesError, match=error) as raised:
        read_alert_types(path)

    assert str(path) in str(raised.value)


def test_a_seed_without_a_column_or_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "alert_types.csv"
    path.write_text("alert_type,heading\nchurn_risk,Churn Risk\n", encoding="utf-8")

    with pytest.raises(AlertTypesError, match="no column factors_heading, actions_heading, emoji"):
        read_alert_types(path)
    with pytest.raises(AlertTypesError, match="cannot read the alert types"):
        read_alert_types(tmp_path / "missing.csv")
