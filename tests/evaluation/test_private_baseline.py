"""TF-IDF + logistic regression trained with DP-SGD (Opacus) under a given guarantee: the
baseline a private classifier's registry gate compares with."""

import numpy as np
from sklearn.metrics import f1_score

from lmforge.evaluation.private_baseline import private_tfidf_logistic_regression

POSITIVE = ["great battery", "很好 推荐", "excellent screen", "非常满意", "love it", "good value"]
NEGATIVE = ["terrible battery", "很差 失望", "broken screen", "非常糟糕", "hate it", "bad value"]


def test_the_private_baseline_spends_the_guarantee_and_still_learns():
    texts = (POSITIVE + NEGATIVE) * 40
    labels = np.array(([1] * len(POSITIVE) + [0] * len(NEGATIVE)) * 40)
    privacy = {"target_epsilon": 8.0, "delta": 1e-4, "max_grad_norm": 1.0, "accountant": "prv"}
    model = private_tfidf_logistic_regression(texts, labels, 2, privacy, epochs=5, batch_size=64)
    assert 7.5 < model.guarantee["epsilon"] <= 8.05 and model.guarantee["delta"] == 1e-4
    assert model.guarantee["noise_multiplier"] > 0.3  # real noise, calibrated to the plan
    probabilities = model.predict_proba(POSITIVE + NEGATIVE)
    assert probabilities.shape == (12, 2)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    predicted = probabilities.argmax(axis=1)
    assert f1_score([1] * 6 + [0] * 6, predicted, average="macro") > 0.8
