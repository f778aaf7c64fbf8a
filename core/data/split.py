"""Train / held-out test split: stratified for classification, reproducible by seed."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.errors import DataError

DEFAULT_TEST_FRACTION = 0.1  # the classic tutorial's choice
DEFAULT_SEED = 42
MIN_ROWS = 10


@dataclass(frozen=True)
class Split:
    train: pd.DataFrame
    test: pd.DataFrame
    test_fraction: float
    seed: int
    stratified: bool


def split_frame(
    frame: pd.DataFrame,
    target: str,
    *,
    test_fraction: float = DEFAULT_TEST_FRACTION,
    seed: int = DEFAULT_SEED,
    stratify: bool = True,
) -> Split:
    """Split rows with a known target; stratify on it when asked (classification)."""
    if not 0.05 <= test_fraction <= 0.5:
        raise DataError(
            f"A test fraction of {test_fraction:g} is outside 0.05–0.5.", "Use 0.1 (the default) to 0.3."
        )
    labelled = frame[frame[target].notna()]
    if len(labelled) < MIN_ROWS:
        raise DataError(
            f"Only {len(labelled)} rows have a target value; at least {MIN_ROWS} are needed to split.",
            "Upload more rows or pick another target.",
        )
    n_test = max(1, round(len(labelled) * test_fraction))
    rng = np.random.default_rng(seed)
    if stratify:
        test_index = _stratified_test_index(labelled[target], n_test, rng)
    else:
        test_index = labelled.index[rng.permutation(len(labelled))[:n_test]]
    is_test = labelled.index.isin(test_index)
    return Split(
        train=labelled[~is_test],
        test=labelled[is_test],
        test_fraction=test_fraction,
        seed=seed,
        stratified=stratify,
    )


def _stratified_test_index(labels: pd.Series, n_test: int, rng: np.random.Generator) -> pd.Index:
    """scikit-learn's StratifiedShuffleSplit picks the rows; every class keeps a train row."""
    from sklearn.model_selection import StratifiedShuffleSplit

    counts = labels.value_counts()
    if (counts < 2).any():
        lonely = ", ".join(str(c) for c in counts[counts < 2].index[:5])
        raise DataError(
            f"The class(es) {lonely} have a single row, so a stratified split cannot put them on both sides.",
            "Remove those rows, merge rare classes, or turn stratification off.",
        )
    if n_test < len(counts):
        n_test = len(counts)  # one test row per class at least
    splitter = StratifiedShuffleSplit(n_splits=1, test_size=n_test, random_state=int(rng.integers(2**31)))
    _, test_pos = next(splitter.split(np.zeros(len(labels)), labels.to_numpy()))
    return labels.index[test_pos]


def class_balance(split: Split, target: str) -> pd.DataFrame:
    """Rows per class on each side, with shares, for the page's table and chart."""
    train = split.train[target].value_counts().rename("train")
    test = split.test[target].value_counts().rename("test")
    table = pd.concat([train, test], axis=1).fillna(0).astype(int)
    table["train %"] = (100 * table["train"] / max(1, len(split.train))).round(1)
    table["test %"] = (100 * table["test"] / max(1, len(split.test))).round(1)
    table.index = table.index.map(str)
    table.index.name = target
    return table.sort_index()
