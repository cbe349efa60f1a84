"""Classification metrics: accuracy, macro-F1, per-class scores, confusion, calibration."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
)


def expected_calibration_error(
    probabilities: np.ndarray, labels: np.ndarray, n_bins: int = 10
) -> float:
    """Top-label ECE: Σ_b |B_b|/n · |accuracy(B_b) − confidence(B_b)| over equal-width bins."""
    if len(labels) == 0:
        return 0.0
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == labels
    bins = np.minimum((confidence * n_bins).astype(int), n_bins - 1)
    ece = 0.0
    for b in range(n_bins):
        members = bins == b
        if members.any():
            ece += members.mean() * abs(correct[members].mean() - confidence[members].mean())
    return float(ece)


def classification_report(
    labels: np.ndarray, probabilities: np.ndarray, classes: Sequence[str], n_bins: int = 10
) -> dict[str, Any]:
    """Flat metrics (`accuracy`, `macro_f1`, `ece`, `<class>_precision|recall|f1`) and the
    confusion matrix (rows: true class, columns: predicted)."""
    predicted = probabilities.argmax(axis=1)
    ids = list(range(len(classes)))
    precision, recall, f1, support = precision_recall_fscore_support(
        labels, predicted, labels=ids, zero_division=0
    )
    flat: dict[str, float] = {
        "accuracy": float(accuracy_score(labels, predicted)),
        "macro_f1": float(
            f1_score(labels, predicted, labels=ids, average="macro", zero_division=0)
        ),
        "ece": expected_calibration_error(probabilities, labels, n_bins),
    }
    for i, name in enumerate(classes):
        flat[f"{name}_precision"] = float(precision[i])
        flat[f"{name}_recall"] = float(recall[i])
        flat[f"{name}_f1"] = float(f1[i])
        flat[f"{name}_support"] = int(support[i])
    matrix = confusion_matrix(labels, predicted, labels=ids)
    return {"metrics": flat, "confusion": {"labels": list(classes), "matrix": matrix.tolist()}}


def confusion_figure(confusion: dict[str, Any]) -> plt.Figure:
    """The confusion matrix as a labelled heat map."""
    matrix = np.asarray(confusion["matrix"])
    labels = confusion["labels"]
    figure, axis = plt.subplots(figsize=(4 + 0.4 * len(labels), 3.5 + 0.4 * len(labels)))
    axis.imshow(matrix, cmap="Blues")
    axis.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    axis.set_yticks(range(len(labels)), labels)
    axis.set_xlabel("predicted")
    axis.set_ylabel("true")
    for (row, col), value in np.ndenumerate(matrix):
        axis.text(
            col,
            row,
            str(value),
            ha="center",
            va="center",
            color="white" if value > matrix.max() / 2 else "black",
        )
    axis.set_title("Confusion matrix (test split)")
    figure.tight_layout()
    return figure
