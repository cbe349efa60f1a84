"""Scoring: metrics, baselines, comparisons (torch-free at import)."""

from __future__ import annotations

import hashlib

import pandas as pd

# The scores every comparison reports (metrics.json keys, with a baseline's prefix).
KEPT_METRICS = ("accuracy", "macro_f1")


def test_set_fingerprint(test: pd.DataFrame) -> str:
    """What the registry gate compares: a hash of the test split's texts and labels, in order."""
    rows = pd.util.hash_pandas_object(test[["text", "label"]].astype("string"), index=False)
    return hashlib.sha256(rows.to_numpy().tobytes()).hexdigest()[:16]
