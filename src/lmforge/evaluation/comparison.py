"""What pretraining is worth: the same fine-tuning from the pretrained weights or from random
weights, and the TF-IDF + logistic-regression baseline, all scored on the same test split.
Used by the evaluation pipeline (one point) and the label-efficiency curve (one per budget)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from lmforge.classification.finetune import label_index
from lmforge.classification.inference import predict_proba
from lmforge.evaluation import KEPT_METRICS
from lmforge.evaluation.baselines import tfidf_logistic_regression
from lmforge.evaluation.metrics import classification_report
from lmforge.fitting import fit
from lmforge.modeling.artifacts import ModelRef


def _scores(
    test: pd.DataFrame, probabilities: np.ndarray, classes: list[str], prefix: str
) -> dict[str, float]:
    metrics = classification_report(label_index(test, classes), probabilities, classes)["metrics"]
    return {f"{prefix}{k}": metrics[k] for k in KEPT_METRICS}


def tfidf_scores(
    train: pd.DataFrame,
    test: pd.DataFrame,
    classes: list[str],
    settings: dict[str, Any],
    prefix: str = "tfidf_lr_",
    validation: pd.DataFrame | None = None,
) -> dict[str, float]:
    """TF-IDF (word + character n-grams) + logistic regression, trained on `train`, scored on
    `test` (and on `validation`, as `<prefix>val_<metric>`, when given)."""
    model = tfidf_logistic_regression(
        train["text"].tolist(),
        label_index(train, classes),
        c=settings["C"],
        seed=settings["seed"],
    )
    return fitted_scores(model, test, classes, prefix, validation)


def private_tfidf_scores(
    train: pd.DataFrame,
    test: pd.DataFrame,
    classes: list[str],
    privacy: dict[str, Any],
    seed: int,
    prefix: str = "tfidf_lr_dp_",
    validation: pd.DataFrame | None = None,
) -> dict[str, float]:
    """The same baseline trained with DP-SGD under `privacy` (a private classifier's
    guarantee), on the rows a private run trains on (no augmented copies); also the ε spent."""
    from lmforge.evaluation.private_baseline import private_tfidf_logistic_regression

    if "augmented" in train.columns:
        train = train[~train["augmented"].astype(bool)]
    model = private_tfidf_logistic_regression(
        train["text"].tolist(), label_index(train, classes), len(classes), privacy, seed=seed
    )
    scores = fitted_scores(model, test, classes, prefix, validation)
    return {**scores, f"{prefix}epsilon": model.guarantee["epsilon"]}


def fitted_scores(
    model: Any,
    test: pd.DataFrame,
    classes: list[str],
    prefix: str,
    validation: pd.DataFrame | None = None,
) -> dict[str, float]:
    """A fitted classifier's (`predict_proba`, `classes_`) scores on `test`, and on
    `validation` as `<prefix>val_<metric>` when given."""

    def scores(frame: pd.DataFrame, names: str) -> dict[str, float]:
        probabilities = np.zeros((len(frame), len(classes)))
        probabilities[:, model.classes_] = model.predict_proba(frame["text"].tolist())
        return _scores(frame, probabilities, classes, names)

    extra = scores(validation, f"{prefix}val_") if validation is not None else {}
    return {**scores(test, prefix), **extra}


def fine_tuned_scores(
    init: ModelRef,
    train: pd.DataFrame,
    validation: pd.DataFrame,
    test: pd.DataFrame,
    classes: list[str],
    finetuning: dict[str, Any],
    batch_size: int,
    checkpoint_root: str | None,
    stage: str,
    prefix: str,
    random_weights: bool = False,
) -> dict[str, float]:
    """Fine-tune from `init`'s weights (or, with `random_weights`, its architecture from random
    weights: the no-pretraining baseline) with the `finetuning` parameters; score on `test`."""
    tokenizer = init.tokenizer()
    outcome, settings = fit(
        init,
        tokenizer,
        train,
        validation,
        classes,
        finetuning,
        stage,
        checkpoint_root,
        random_weights,
    )
    trained = outcome.model
    if settings.strategy == "lora":
        trained = trained.merge_and_unload()
    probabilities = predict_proba(
        trained, tokenizer, test["text"].tolist(), outcome.max_length, batch_size
    )
    scores = _scores(test, probabilities, classes, prefix)
    if outcome.result.privacy:  # a private run: the ε it spent
        scores[f"{prefix}epsilon"] = outcome.result.privacy["epsilon"]
    return scores
