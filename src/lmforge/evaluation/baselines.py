"""The TF-IDF + logistic regression baseline: word n-grams, plus character n-grams so that
Chinese (no spaces between words) is covered too."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_union


def tfidf_features(max_features: int | None) -> Any:
    """Word uni- and bigrams plus character 1–3-grams within words, TF-IDF weighted."""
    return make_union(
        TfidfVectorizer(
            analyzer="word", ngram_range=(1, 2), sublinear_tf=True, max_features=max_features
        ),
        TfidfVectorizer(
            analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, max_features=max_features
        ),
    )


def tfidf_logistic_regression(
    train_texts: Sequence[str],
    train_labels: np.ndarray,
    c: float = 10.0,
    max_features: int | None = 200_000,
    seed: int = 42,
) -> Pipeline:
    features = tfidf_features(max_features)
    model = Pipeline(
        [("tfidf", features), ("lr", LogisticRegression(C=c, max_iter=3000, random_state=seed))]
    )
    return model.fit(list(train_texts), train_labels)
