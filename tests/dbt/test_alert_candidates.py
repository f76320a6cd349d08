"""One place per alert type: every row of the seed alert_types has its candidate model in
models/intermediate/alerts, every candidate model is stacked into int_alert_candidates, and
every model a row names is a model the project trains. A new alert type that misses one of
them fails here, before a build."""

from __future__ import annotations

import csv
import re

from ml.contracts import MODEL_SPECS
from warehouse.paths import DBT_PROJECT_DIR

ALERTS_DIR = DBT_PROJECT_DIR / "models" / "intermediate" / "alerts"
SEED = DBT_PROJECT_DIR / "seeds" / "alert_types.csv"
TYPE_ARGUMENTS = re.compile(r"alert_type='(\w+)',\s*entity_type='(\w+)'")


def _seed_rows() -> list[dict[str, str]]:
    with SEED.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _candidate_models() -> dict[str, str]:
    return {
        path.stem: path.read_text(encoding="utf-8")
        for path in ALERTS_DIR.glob("int_alert_candidates_*.sql")
    }


def test_every_candidate_model_is_stacked_into_int_alert_candidates() -> None:
    union = (ALERTS_DIR / "int_alert_candidates.sql").read_text(encoding="utf-8")
    stacked = set(re.findall(r"'(int_alert_candidates_\w+)'", union))

    assert stacked == set(_candidate_models())


def test_each_seed_row_has_exactly_one_candidate_model_and_back() -> None:
    raised: dict[tuple[str, str], list[str]] = {}
    for name, sql in _candidate_models().items():
        found = TYPE_ARGUMENTS.findall(sql)
        assert len(found) == 1, f"{name} should raise one alert type, found {found}"
        raised.setdefault(found[0], []).append(name)

    seed = {(row["alert_type"], row["entity_type"]) for row in _seed_rows()}
    assert set(raised) == seed
    assert all(len(models) == 1 for models in raised.values()), raised


def test_the_models_the_seed_names_are_trained_models() -> None:
    named = {row["model_name"] for row in _seed_rows() if row["model_name"]}

    assert named and named <= set(MODEL_SPECS)
