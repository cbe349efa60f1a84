"""Stratified train / validation / test split and the leakage check."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from lmforge.data.cleaning import dedup_keys
from lmforge.data.schemas import SPLITS


class LeakageError(ValueError):
    """A normalized text appears in two splits (or a held-out text in the pretraining corpus)."""


def _allocate(n: int, ratios: list[float]) -> list[int]:
    """Largest-remainder rounding of `n * ratios`, so every row lands in exactly one split."""
    exact = np.asarray(ratios) / sum(ratios) * n
    counts = np.floor(exact).astype(int)
    for i in np.argsort(-(exact - counts), kind="stable")[: n - counts.sum()]:
        counts[i] += 1
    return counts.tolist()


def stratified_split(labels: pd.Series, ratios: Mapping[str, float], seed: int) -> pd.Series:
    """A split name per labeled row: per class, shuffled, then cut by `ratios`."""
    names = [name for name in SPLITS if ratios.get(name, 0) > 0]
    assignment = pd.Series(pd.NA, index=labels.index, dtype="string[pyarrow]")
    rng = np.random.default_rng(seed)
    for label in sorted(labels.dropna().unique()):
        index = labels.index[labels == label].to_numpy()
        index = index[rng.permutation(len(index))]
        start = 0
        for name, count in zip(names, _allocate(len(index), [ratios[n] for n in names])):
            assignment.loc[index[start:start + count]] = name
            start += count
    return assignment


def apply_label_budget(frame: pd.DataFrame, budget: int | None, seed: int) -> pd.DataFrame:
    """At most `budget` labeled rows in total, drawn stratified (the label budget)."""
    if budget is None or len(frame) <= budget:
        return frame
    keep = stratified_split(frame["label"], {"train": budget, "test": len(frame) - budget}, seed)
    return frame[keep == "train"]


def leaked_keys(frames: Mapping[str, pd.DataFrame], held_out: Sequence[str]) -> dict[str, int]:
    """How many normalized texts each held-out frame shares with any other frame."""
    keys = {name: set(dedup_keys(frame["text"]).dropna()) for name, frame in frames.items()}
    shared = {}
    for i, name in enumerate(held_out):
        for other in keys:
            if other == name or (other in held_out and held_out.index(other) < i):
                continue
            overlap = len(keys[name] & keys[other])
            if overlap:
                shared[f"{name}&{other}"] = overlap
    return shared


def assert_no_leakage(frames: Mapping[str, pd.DataFrame], held_out: Sequence[str]) -> None:
    """Raise when a normalized text of a held-out frame appears in any other frame."""
    shared = leaked_keys(frames, list(held_out))
    if shared:
        raise LeakageError(f"normalized texts shared between splits: {shared}")
