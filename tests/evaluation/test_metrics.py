import numpy as np
import pytest

from lmforge.evaluation.baselines import tfidf_logistic_regression
from lmforge.evaluation.metrics import (
    classification_report,
    confusion_figure,
    expected_calibration_error,
)

# 6 test items, 3 classes; predictions by hand: [0, 0, 1, 1, 2, 0]
LABELS = np.array([0, 0, 1, 1, 2, 2])
PROBABILITIES = np.array(
    [
        [0.9, 0.05, 0.05],
        [0.6, 0.3, 0.1],
        [0.2, 0.7, 0.1],
        [0.1, 0.8, 0.1],
        [0.1, 0.1, 0.8],
        [0.5, 0.2, 0.3],
    ]
)


def test_metrics_match_hand_computed_values():
    report = classification_report(LABELS, PROBABILITIES, ["neg", "neu", "pos"], n_bins=10)
    metrics = report["metrics"]
    assert metrics["accuracy"] == pytest.approx(5 / 6)
    # neg: P=2/3 R=1 F1=0.8; neu: P=1 R=1 F1=1; pos: P=1 R=1/2 F1=2/3
    assert metrics["neg_precision"] == pytest.approx(2 / 3)
    assert metrics["neg_f1"] == pytest.approx(0.8)
    assert metrics["pos_recall"] == pytest.approx(0.5)
    assert metrics["macro_f1"] == pytest.approx((0.8 + 1 + 2 / 3) / 3)
    assert report["confusion"]["matrix"] == [[2, 0, 0], [0, 2, 0], [1, 0, 1]]
    assert confusion_figure(report["confusion"]).axes[0].get_title().startswith("Confusion")


def test_expected_calibration_error_by_hand():
    # confidences 0.9 (bin 9, right), 0.6 (bin 6, right), 0.7 (bin 7, right),
    # 0.8 ×2 (bin 8, both right), 0.5 (bin 5, wrong)
    expected = (abs(1 - 0.9) + abs(1 - 0.6) + abs(1 - 0.7) + 2 * abs(1 - 0.8) + abs(0 - 0.5)) / 6
    assert expected_calibration_error(PROBABILITIES, LABELS, 10) == pytest.approx(expected)
    assert expected_calibration_error(np.eye(3), np.arange(3)) == 0.0


def test_tfidf_baseline_handles_english_and_chinese():
    texts = [
        "great phone",
        "love it",
        "terrible phone",
        "hate it",
        "很好",
        "非常好",
        "很差",
        "太差了",
    ]
    labels = np.array([1, 1, 0, 0, 1, 1, 0, 0])
    model = tfidf_logistic_regression(texts, labels)
    assert model.predict(["great", "好", "差"]).tolist() == [1, 1, 0]
