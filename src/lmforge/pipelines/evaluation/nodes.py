"""Nodes of the `evaluation` pipeline: test metrics, baselines, latency, registration."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd
import torch

from lmforge.evaluation.baselines import tfidf_logistic_regression
from lmforge.evaluation.metrics import classification_report, confusion_figure
from lmforge.modeling.artifacts import LINEAGE_FILE, ModelRef
from lmforge.modeling.classification import FinetuneSettings, fit_classifier
from lmforge.modeling.inference import predict_proba
from lmforge.modeling.model import build_classifier
from lmforge.pipelines.finetuning.nodes import frame_fingerprint, resolve_init
from lmforge.serving.pyfunc import SERVING_FILE
from lmforge.tracking.registry import ClassifierCandidate

METRICS_KEPT_FLAT = ("accuracy", "macro_f1")


def _labels(frame: pd.DataFrame, classes: list[str]) -> np.ndarray:
    return frame["label"].map({c: i for i, c in enumerate(classes)}).to_numpy()


def _serving(classifier: ModelRef) -> dict[str, Any]:
    return classifier.side_file(SERVING_FILE) or {"max_length": 128}


def predict_test_split(classifier: ModelRef, test: pd.DataFrame, label_map: dict,
                       evaluation: dict[str, Any]) -> pd.DataFrame:
    """The test split with the classifier's prediction and class probabilities."""
    classes = list(label_map["classes"])
    model, tokenizer = classifier.load_classifier(), classifier.tokenizer()
    probabilities = predict_proba(model, tokenizer, test["text"].tolist(),
                                  _serving(classifier)["max_length"], evaluation["batch_size"])
    out = test[["text", "label"]].reset_index(drop=True)
    out["predicted"] = [classes[i] for i in probabilities.argmax(axis=1)]
    for i, name in enumerate(classes):
        out[f"prob_{name}"] = probabilities[:, i]
    return out


def score_predictions(predictions: pd.DataFrame, label_map: dict, evaluation: dict[str, Any]
                      ) -> tuple[dict[str, float], dict[str, Any], Any]:
    """Accuracy, macro-F1, per-class scores and calibration; the confusion matrix (JSON, PNG)."""
    classes = list(label_map["classes"])
    probabilities = predictions[[f"prob_{c}" for c in classes]].to_numpy()
    report = classification_report(_labels(predictions, classes), probabilities, classes,
                                   evaluation.get("ece_bins", 10))
    return report["metrics"], report["confusion"], confusion_figure(report["confusion"])


def measure_latency(classifier: ModelRef, test: pd.DataFrame, evaluation: dict[str, Any]
                    ) -> dict[str, float]:
    """Milliseconds per text at batch size 1, and texts per second at the default batch."""
    model, tokenizer = classifier.load_classifier(), classifier.tokenizer()
    max_length = _serving(classifier)["max_length"]
    texts = test["text"].tolist()
    single = texts[: evaluation.get("latency_texts", 50)]
    predict_proba(model, tokenizer, single[:2], max_length, 1)  # warm-up
    start = time.perf_counter()
    for text in single:
        predict_proba(model, tokenizer, [text], max_length, 1)
    per_text = (time.perf_counter() - start) / max(len(single), 1)
    start = time.perf_counter()
    predict_proba(model, tokenizer, texts, max_length, evaluation["batch_size"])
    batched = time.perf_counter() - start
    return {"latency_ms_batch1": 1000.0 * per_text,
            "throughput_texts_per_s": len(texts) / batched if batched else 0.0,
            "throughput_batch_size": float(evaluation["batch_size"]),
            "torch_threads": float(torch.get_num_threads())}


def tfidf_baseline(train: pd.DataFrame, test: pd.DataFrame, label_map: dict,
                   evaluation: dict[str, Any]) -> dict[str, float]:
    """TF-IDF (word + character n-grams) + logistic regression on the same splits."""
    classes = list(label_map["classes"])
    settings = evaluation.get("tfidf", {})
    model = tfidf_logistic_regression(train["text"].tolist(), _labels(train, classes),
                                      c=settings.get("C", 10.0), seed=settings.get("seed", 42))
    probabilities = np.zeros((len(test), len(classes)))
    probabilities[:, model.classes_] = model.predict_proba(test["text"].tolist())
    metrics = classification_report(_labels(test, classes), probabilities, classes)["metrics"]
    return {f"tfidf_lr_{k}": metrics[k] for k in METRICS_KEPT_FLAT}


def no_pretrain_baseline(pretrained: ModelRef, train: pd.DataFrame, validation: pd.DataFrame,
                         test: pd.DataFrame, label_map: dict, finetuning: dict[str, Any],
                         evaluation: dict[str, Any]) -> dict[str, float]:
    """The classifier's architecture, randomly initialized, fine-tuned with the same
    parameters and budget: what pretraining is worth. Empty when disabled."""
    if not evaluation.get("compare_no_pretrain", True):
        return {}
    init = resolve_init(pretrained, finetuning["init_from"])
    classes = list(label_map["classes"])
    model = build_classifier(None, classes, init.config(),
                             seed=finetuning["training"].get("seed", 42))
    settings = FinetuneSettings.from_params({**finetuning, "strategy": "full"})
    tokenizer = init.tokenizer()
    fingerprint = {"init": "random", "config": init.config().to_dict(),
                   "data": frame_fingerprint(train, validation), "classes": classes}
    # Same budget; no layer-wise decay: random weights have nothing to preserve.
    training = {**finetuning["training"], "layer_lr_decay": 1.0}
    outcome = fit_classifier(model, tokenizer, train, validation, classes, settings,
                             training, "no_pretrain", fingerprint,
                             finetuning.get("checkpoint_dir"))
    probabilities = predict_proba(outcome.model, tokenizer, test["text"].tolist(),
                                  outcome.max_length, evaluation["batch_size"])
    metrics = classification_report(_labels(test, classes), probabilities, classes)["metrics"]
    return {f"no_pretrain_{k}": metrics[k] for k in METRICS_KEPT_FLAT}


def assemble_metrics(model_metrics: dict[str, float], tfidf: dict[str, float],
                     no_pretrain: dict[str, float]) -> dict[str, float]:
    """The flat `metrics.json`: the classifier's scores, the baselines', and the deltas."""
    report = {**model_metrics, **tfidf, **no_pretrain}
    for baseline in ("tfidf_lr", "no_pretrain"):
        for name in METRICS_KEPT_FLAT:
            if f"{baseline}_{name}" in report:
                report[f"delta_vs_{baseline}_{name}"] = (report[name]
                                                         - report[f"{baseline}_{name}"])
    return {k: round(float(v), 6) for k, v in report.items()}


def mlflow_metrics(metrics: dict[str, float], latency: dict[str, float]
                   ) -> dict[str, dict[str, float]]:
    from lmforge.tracking.mlflow_logging import flat_metrics

    return flat_metrics({**metrics, **latency})


def registration_candidate(classifier: ModelRef, metrics: dict[str, float], label_map: dict,
                           registry: dict[str, Any]) -> ClassifierCandidate:
    """The registry step's input: the classifier folder, its test metrics and the gate."""
    return ClassifierCandidate(
        model_dir=str(classifier.path), classes=list(label_map["classes"]), metrics=metrics,
        model_name=registry["model_name"], alias=registry["alias"],
        metric=registry.get("metric", "macro_f1"),
        min_improvement=registry.get("min_improvement", 0.0),
    )


def _flatten(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def lineage_annotations(classifier: ModelRef) -> dict[str, dict[str, Any]]:
    """Every upstream stage's parameters (as kedro-mlflow names them) and run ids, so the
    evaluation run alone shows what shaped the model, however the stages were run."""
    lineage = classifier.side_file(LINEAGE_FILE) or {}
    params, tags = {}, {}
    for stage, record in lineage.items():
        params.update(_flatten(record.get("params", {})))
        if record.get("mlflow_run_id"):
            tags[f"upstream.{stage}.run_id"] = record["mlflow_run_id"]
        for key, value in (record.get("summary") or {}).items():
            tags[f"upstream.{stage}.{key}"] = value
    return {"params": params, "tags": tags}
