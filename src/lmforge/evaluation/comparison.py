"""What pretraining is worth: the same fine-tuning from the pretrained weights or from random
weights, and the TF-IDF + logistic-regression baseline, all scored on the same test split.
Used by the evaluation pipeline (one point) and the label-efficiency curve (one per budget)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from lmforge.evaluation.baselines import tfidf_logistic_regression
from lmforge.evaluation.metrics import classification_report
from lmforge.modeling.artifacts import ModelRef
from lmforge.modeling.classification import FinetuneSettings, fit_classifier, frame_fingerprint
from lmforge.modeling.inference import predict_proba
from lmforge.modeling.model import build_classifier

KEPT_METRICS = ("accuracy", "macro_f1")


def label_ids(frame: pd.DataFrame, classes: list[str]) -> np.ndarray:
    return frame["label"].map({c: i for i, c in enumerate(classes)}).to_numpy()


def _scores(
    test: pd.DataFrame, probabilities: np.ndarray, classes: list[str], prefix: str
) -> dict[str, float]:
    metrics = classification_report(label_ids(test, classes), probabilities, classes)["metrics"]
    return {f"{prefix}{k}": metrics[k] for k in KEPT_METRICS}


def tfidf_scores(
    train: pd.DataFrame,
    test: pd.DataFrame,
    classes: list[str],
    settings: dict[str, Any],
    prefix: str = "tfidf_lr_",
) -> dict[str, float]:
    """TF-IDF (word + character n-grams) + logistic regression, trained on `train`."""
    model = tfidf_logistic_regression(
        train["text"].tolist(),
        label_ids(train, classes),
        c=settings.get("C", 10.0),
        seed=settings.get("seed", 42),
    )
    probabilities = np.zeros((len(test), len(classes)))
    probabilities[:, model.classes_] = model.predict_proba(test["text"].tolist())
    return _scores(test, probabilities, classes, prefix)


def random_init_scores(
    init: ModelRef,
    train: pd.DataFrame,
    validation: pd.DataFrame,
    test: pd.DataFrame,
    classes: list[str],
    finetuning: dict[str, Any],
    batch_size: int,
    stage: str = "no_pretrain",
    prefix: str = "no_pretrain_",
) -> dict[str, float]:
    """`init`'s architecture from random weights, fine-tuned (strategy `full`) with the same
    budget as the real classifier; no layer-wise decay (random weights have nothing to keep)."""
    seed = finetuning["training"].get("seed", 42)
    model = build_classifier(None, classes, init.config(), seed=seed)
    settings = FinetuneSettings.from_params({**finetuning, "strategy": "full", "head_warmup": {}})
    training = {**finetuning["training"], "layer_lr_decay": 1.0}
    fingerprint = {
        "init": "random",
        "config": init.config().to_dict(),
        "data": frame_fingerprint(train, validation),
        "classes": classes,
    }
    tokenizer = init.tokenizer()
    outcome = fit_classifier(
        model,
        tokenizer,
        train,
        validation,
        classes,
        settings,
        training,
        stage,
        fingerprint,
        finetuning.get("checkpoint_dir"),
    )
    probabilities = predict_proba(
        outcome.model, tokenizer, test["text"].tolist(), outcome.max_length, batch_size
    )
    return _scores(test, probabilities, classes, prefix)


def pretrained_scores(
    init: ModelRef,
    train: pd.DataFrame,
    validation: pd.DataFrame,
    test: pd.DataFrame,
    classes: list[str],
    finetuning: dict[str, Any],
    batch_size: int,
    stage: str,
    prefix: str = "",
) -> dict[str, float]:
    """Fine-tune from `init`'s weights with the `finetuning` parameters, score on `test`."""
    seed = finetuning["training"].get("seed", 42)
    model = build_classifier(init.location, classes, seed=seed)
    settings = FinetuneSettings.from_params(finetuning)
    fingerprint = {
        "init": init.location,
        "settings": settings.__dict__,
        "data": frame_fingerprint(train, validation),
        "classes": classes,
    }
    tokenizer = init.tokenizer()
    outcome = fit_classifier(
        model,
        tokenizer,
        train,
        validation,
        classes,
        settings,
        finetuning["training"],
        stage,
        fingerprint,
        finetuning.get("checkpoint_dir"),
    )
    trained = outcome.model
    if settings.strategy == "lora":
        trained = trained.merge_and_unload()
    probabilities = predict_proba(
        trained, tokenizer, test["text"].tolist(), outcome.max_length, batch_size
    )
    return _scores(test, probabilities, classes, prefix)
