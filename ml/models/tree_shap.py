"""LightGBM's exact SHAP values for many rows, one tree at a time and once per decision pattern.

A tree's SHAP values for a row depend only on which way the row goes at each of the tree's
split nodes (TreeSHAP follows the row's branch and weighs the other by its cover, at every
node). A tree of 7 leaves has 6 splits, so at most 64 patterns, and 100,000 rows fall into
those few: computing one row per pattern with LightGBM itself (``pred_contrib`` on that tree
alone) and giving it to every row of the pattern yields the same values as ``pred_contrib`` on
all rows, at a fraction of the cost (churn at 100k customers: 598 trees, 17.7 s -> 1.7 s).

The decisions follow LightGBM's own rules (``Tree::NumericalDecision``,
``Tree::CategoricalDecision``): missing values by the split's missing type and default
direction, categories by their integer codes. ``tests/ml/test_tree_shap.py`` checks the result
against ``pred_contrib`` on data with missing values, zeros and a categorical column.
"""

from __future__ import annotations

from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd

#: Below this many rows the booster's own pass over all rows is as fast.
MIN_ROWS = 20_000
#: Trees with more splits than this have too many possible patterns to tabulate.
MAX_SPLITS = 16
#: LightGBM's kZeroThreshold: a value this close to zero counts as zero.
ZERO_THRESHOLD = 1e-35


def shap_values(booster: lgb.Booster, matrix: pd.DataFrame, threads: int) -> np.ndarray:
    """``booster.predict(matrix, pred_contrib=True)``: rows x (features + expected value).

    Small frames (an event, an API request) go straight to the booster: reading the trees'
    structure costs more than the pass itself."""
    if len(matrix) >= MIN_ROWS and booster.num_model_per_iteration() == 1:
        trees = booster.dump_model()["tree_info"][: _trees_used(booster)]
        splits = [_splits_of(tree["tree_structure"]) for tree in trees]
        if all(len(tree_splits) <= MAX_SPLITS for tree_splits in splits):
            return grouped_shap_values(booster, matrix, trees, threads)
    return np.asarray(booster.predict(matrix, pred_contrib=True, num_threads=threads))


def grouped_shap_values(
    booster: lgb.Booster, matrix: pd.DataFrame, trees: list[dict[str, Any]], threads: int
) -> np.ndarray:
    """SHAP values tree by tree, computed once per decision pattern (see the module docs)."""
    columns = _Columns(_numeric_values(booster, matrix))
    rows_total, bias = len(matrix), matrix.shape[1]
    out = np.zeros((bias + 1, rows_total))  # one contiguous row per output column
    order = np.arange(rows_total - 1, -1, -1)
    for index, tree in enumerate(trees):
        splits = _splits_of(tree["tree_structure"])
        if not splits:  # a single leaf: its value is the expected value of every row
            out[bias] += float(tree["tree_structure"]["leaf_value"])
            continue
        pattern = np.zeros(rows_total, dtype=np.int32)
        for bit, split in enumerate(splits):
            pattern += columns.goes_left(split) * np.int32(1 << bit)
        first = np.full(1 << len(splits), -1, dtype=np.int64)
        first[pattern[::-1]] = order  # the first row of each pattern
        present = first >= 0
        slot = (np.cumsum(present) - 1)[pattern]
        contributions = np.asarray(
            booster.predict(
                columns.rows(first[present]),
                pred_contrib=True,
                start_iteration=index,
                num_iteration=1,
                num_threads=threads,
            )
        )
        for column in {split["split_feature"] for split in splits} | {bias}:
            out[column] += contributions[:, column][slot]
    return out.T


class _Columns:
    """The matrix by column, with each column's missing and zero masks computed once."""

    def __init__(self, values: np.ndarray) -> None:
        self._rows = values
        self._columns = np.asfortranarray(values)
        self._cache: dict[tuple[int, str], np.ndarray] = {}

    def rows(self, indices: np.ndarray) -> np.ndarray:
        return self._rows[indices]

    def _get(self, feature: int, kind: str) -> np.ndarray:
        key = (feature, kind)
        if key not in self._cache:
            raw = self._columns[:, feature]
            if kind == "nan":
                self._cache[key] = np.isnan(raw)
            elif kind == "zeroed":  # missing as zero, for splits without a missing type of NaN
                self._cache[key] = np.where(self._get(feature, "nan"), 0.0, raw)
            else:  # "zero": zero (or missing, read as zero) for missing type Zero
                self._cache[key] = np.abs(self._get(feature, "zeroed")) <= ZERO_THRESHOLD
        return self._cache[key]

    def goes_left(self, split: dict[str, Any]) -> np.ndarray:
        """Which rows take the left branch of ``split`` (LightGBM's decision rules)."""
        feature = int(split["split_feature"])
        raw = self._columns[:, feature]
        if split["decision_type"] == "==":
            chosen = [int(code) for code in str(split["threshold"]).split("||")]
            codes = np.where(self._get(feature, "nan"), -1, raw).astype(np.int64)
            return np.isin(codes, chosen)  # a missing category (-1) goes right
        missing = split.get("missing_type", "None")
        default_left = bool(split.get("default_left", False))
        threshold = float(split["threshold"])
        if missing == "NaN":
            left = raw <= threshold  # False for NaN
            return left | self._get(feature, "nan") if default_left else left
        left = self._get(feature, "zeroed") <= threshold
        if missing == "Zero":
            zero = self._get(feature, "zero")
            return left | zero if default_left else left & ~zero
        return left


def _trees_used(booster: lgb.Booster) -> int:
    """The trees ``predict`` uses by default: up to the best iteration when there is one."""
    total = booster.num_trees()
    best = booster.best_iteration
    return min(total, best * booster.num_model_per_iteration()) if best > 0 else total


def _splits_of(node: dict[str, Any]) -> list[dict[str, Any]]:
    """A tree's split nodes, root first."""
    if "split_index" not in node:
        return []
    return [node, *_splits_of(node["left_child"]), *_splits_of(node["right_child"])]


def _numeric_values(booster: lgb.Booster, matrix: pd.DataFrame) -> np.ndarray:
    """The matrix as LightGBM sees it: floats, pandas categories as the model's codes (NaN for
    a category it never saw)."""
    categories = iter(booster.pandas_categorical or [])
    columns = []
    for name in matrix.columns:
        column = matrix[name]
        if isinstance(column.dtype, pd.CategoricalDtype):
            codes = column.cat.set_categories(next(categories)).cat.codes.to_numpy()
            columns.append(np.where(codes < 0, np.nan, codes.astype(float)))
        else:
            columns.append(pd.to_numeric(column, errors="coerce").to_numpy(dtype=float))
    return np.column_stack(columns)
