"""SHAP values once per decision pattern equal LightGBM's own ``pred_contrib`` on every row."""

from __future__ import annotations

from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from ml.models.tree_shap import MIN_ROWS, grouped_shap_values, shap_values

CATEGORIES = ["apparel", "books", "home", "toys"]


def _frame(rows: int, seed: int) -> pd.DataFrame:
    """Numbers with missing values and exact zeros, and a pandas category with gaps."""
    rng = np.random.default_rng(seed)
    recency = rng.exponential(40.0, rows)
    recency[rng.random(rows) < 0.1] = np.nan
    orders = rng.poisson(1.0, rows).astype(float)  # many exact zeros
    spend = rng.lognormal(4.0, 1.0, rows)
    spend[rng.random(rows) < 0.2] = 0.0
    spend[rng.random(rows) < 0.05] = np.nan
    category = pd.Categorical(rng.choice(CATEGORIES, rows), categories=CATEGORIES)
    category[rng.random(rows) < 0.05] = np.nan
    return pd.DataFrame(
        {"recency": recency, "orders": orders, "spend": spend, "category": category}
    )


def _target(frame: pd.DataFrame, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    logit = (
        -0.03 * frame["recency"].fillna(90).to_numpy()
        + 0.5 * frame["orders"].to_numpy()
        + 0.3 * np.log1p(frame["spend"].fillna(0).to_numpy())
        + (frame["category"] == "toys").to_numpy() * 0.8
    )
    return (rng.random(len(frame)) < 1 / (1 + np.exp(-logit))).astype(float)


def _booster(params: dict[str, Any], rounds: int = 60) -> lgb.Booster:
    fit = _frame(4_000, seed=1)
    base = {"objective": "binary", "num_leaves": 7, "min_data_in_leaf": 20, "verbosity": -1}
    return lgb.train({**base, **params}, lgb.Dataset(fit, _target(fit, 2)), rounds)


def _trees(booster: lgb.Booster) -> list[dict[str, Any]]:
    return list(booster.dump_model()["tree_info"])


@pytest.mark.parametrize(
    "params",
    [
        {},  # missing values as NaN, learned direction
        {"zero_as_missing": True},  # missing type Zero
        {"use_missing": False},  # missing type None: NaN read as zero
        {"num_leaves": 15, "cat_smooth": 1.0, "min_data_per_group": 5},  # deeper, more categories
    ],
)
def test_equal_to_pred_contrib(params: dict[str, Any]) -> None:
    booster = _booster(params)
    scored = _frame(3_000, seed=3)
    scored.loc[:9, "category"] = np.nan
    expected = np.asarray(booster.predict(scored, pred_contrib=True))

    grouped = grouped_shap_values(booster, scored, _trees(booster), threads=1)

    assert grouped.shape == expected.shape == (3_000, scored.shape[1] + 1)
    np.testing.assert_allclose(grouped, expected, rtol=0, atol=1e-10)
    splits = {node["decision_type"] for tree in _trees(booster) for node in _nodes(tree)}
    assert splits == {"<=", "=="}, "the data must exercise numeric and categorical splits"


def _nodes(tree: dict[str, Any]) -> list[dict[str, Any]]:
    found, stack = [], [tree["tree_structure"]]
    while stack:
        node = stack.pop()
        if "split_index" in node:
            found.append(node)
            stack += [node["left_child"], node["right_child"]]
    return found


def test_a_category_the_model_never_saw_is_missing() -> None:
    booster = _booster({})
    scored = _frame(500, seed=4)
    scored["category"] = pd.Categorical(
        ["garden"] * 250 + ["toys"] * 250, categories=["garden", "toys"]
    )
    expected = np.asarray(booster.predict(scored, pred_contrib=True))

    grouped = grouped_shap_values(booster, scored, _trees(booster), threads=1)

    np.testing.assert_allclose(grouped, expected, rtol=0, atol=1e-10)


def test_trees_of_a_single_leaf_carry_only_the_expected_value() -> None:
    fit = _frame(400, seed=5)
    booster = lgb.train(
        {"objective": "binary", "min_data_in_leaf": 300, "verbosity": -1},
        lgb.Dataset(fit, _target(fit, 6)),
        5,
    )
    assert all(tree["num_leaves"] == 1 for tree in _trees(booster))
    expected = np.asarray(booster.predict(fit, pred_contrib=True))

    grouped = grouped_shap_values(booster, fit, _trees(booster), threads=1)

    np.testing.assert_allclose(grouped, expected, rtol=0, atol=1e-12)


def test_the_best_iteration_bounds_the_trees_as_predict_does() -> None:
    fit, valid = _frame(4_000, seed=1), _frame(1_000, seed=7)
    booster = lgb.train(
        {"objective": "binary", "num_leaves": 7, "verbosity": -1, "learning_rate": 0.3},
        lgb.Dataset(fit, _target(fit, 2)),
        300,
        valid_sets=[lgb.Dataset(valid, _target(valid, 8))],
        callbacks=[lgb.early_stopping(5, verbose=False)],
        keep_training_booster=True,  # keeps the trees after the best iteration
    )
    assert 0 < booster.best_iteration < booster.num_trees()
    scored = _frame(MIN_ROWS, seed=9)  # large enough for the grouped pass
    expected = np.asarray(booster.predict(scored, pred_contrib=True))

    values = shap_values(booster, scored, threads=2)

    np.testing.assert_allclose(values, expected, rtol=0, atol=1e-10)
    raw = np.asarray(booster.predict(scored, raw_score=True))
    np.testing.assert_allclose(values.sum(axis=1), raw, rtol=0, atol=1e-9)
