"""Nodes of the `evaluation` pipeline: test metrics, baselines, latency, registration."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pandas as pd

from lmforge.evaluation import KEPT_METRICS, test_set_fingerprint
from lmforge.modeling.side_files import LINEAGE_FILE, SERVING_FILE
from lmforge.parameters import typed_settings
from lmforge.parameters.evaluation import Evaluation, Registry

if TYPE_CHECKING:  # torch, transformers, sklearn and mlflow are imported where they are used
    from lmforge.modeling.artifacts import ModelRef
    from lmforge.tracking.registry import ClassifierCandidate


def _serving(classifier: ModelRef) -> dict[str, Any]:
    return classifier.side_file(SERVING_FILE) or {"max_length": 128}


@typed_settings
def predict_test_split(
    classifier: ModelRef, test: pd.DataFrame, label_map: dict, evaluation: Evaluation
) -> pd.DataFrame:
    """The test split with the classifier's prediction and class probabilities."""
    from lmforge.classification.inference import predict_proba

    classes = list(label_map["classes"])
    model, tokenizer = classifier.load_classifier(), classifier.tokenizer()
    probabilities = predict_proba(
        model,
        tokenizer,
        test["text"].tolist(),
        _serving(classifier)["max_length"],
        evaluation.batch_size,
    )
    out = test[["text", "label"]].reset_index(drop=True)
    out["predicted"] = [classes[i] for i in probabilities.argmax(axis=1)]
    for i, name in enumerate(classes):
        out[f"prob_{name}"] = probabilities[:, i]
    return out


@typed_settings
def score_predictions(
    predictions: pd.DataFrame, label_map: dict, evaluation: Evaluation
) -> tuple[dict[str, float], dict[str, Any], Any]:
    """Accuracy, macro-F1, per-class scores and calibration; the confusion matrix (JSON, PNG)."""
    from lmforge.classification.finetune import label_index
    from lmforge.evaluation.metrics import classification_report, confusion_figure

    classes = list(label_map["classes"])
    probabilities = predictions[[f"prob_{c}" for c in classes]].to_numpy()
    report = classification_report(
        label_index(predictions, classes), probabilities, classes, evaluation.ece_bins
    )
    return report["metrics"], report["confusion"], confusion_figure(report["confusion"])


@typed_settings
def measure_latency(
    classifier: ModelRef, test: pd.DataFrame, evaluation: Evaluation
) -> dict[str, float]:
    """Milliseconds per text at batch size 1, and texts per second at the default batch."""
    import torch

    from lmforge.classification.inference import predict_proba

    model, tokenizer = classifier.load_classifier(), classifier.tokenizer()
    max_length = _serving(classifier)["max_length"]
    texts = test["text"].tolist()
    single = texts[: evaluation.latency_texts]
    predict_proba(model, tokenizer, single[:2], max_length, 1)  # warm-up
    start = time.perf_counter()
    for text in single:
        predict_proba(model, tokenizer, [text], max_length, 1)
    per_text = (time.perf_counter() - start) / max(len(single), 1)
    start = time.perf_counter()
    predict_proba(model, tokenizer, texts, max_length, evaluation.batch_size)
    batched = time.perf_counter() - start
    return {
        "latency_ms_batch1": 1000.0 * per_text,
        "throughput_texts_per_s": len(texts) / batched if batched else 0.0,
        "throughput_batch_size": float(evaluation.batch_size),
        "torch_threads": float(torch.get_num_threads()),
    }


@typed_settings
def score_validation_split(
    classifier: ModelRef, validation: pd.DataFrame, label_map: dict, evaluation: Evaluation
) -> dict[str, float]:
    """The classifier's accuracy and macro-F1 on the validation split (`val_*`): what the
    registry's baseline gate compares with TF-IDF + LR's, leaving the test split untouched."""
    predictions = predict_test_split(classifier, validation, label_map, evaluation)
    metrics, _, _ = score_predictions(predictions, label_map, evaluation)
    return {f"val_{k}": metrics[k] for k in KEPT_METRICS}


@typed_settings
def tfidf_baseline(
    classifier: ModelRef,
    train: pd.DataFrame,
    validation: pd.DataFrame,
    test: pd.DataFrame,
    label_map: dict,
    evaluation: Evaluation,
) -> dict[str, float]:
    """TF-IDF (word + character n-grams) + logistic regression on the same splits: scored on
    the test split (`tfidf_lr_*`) and on the validation split (`tfidf_lr_val_*`). For a private
    classifier also the same baseline under its DP guarantee (`tfidf_lr_dp_*`): what its
    registry gate compares with."""
    from lmforge.evaluation.comparison import private_tfidf_scores, tfidf_scores

    classes, settings = list(label_map["classes"]), evaluation.tfidf
    scores = tfidf_scores(train, test, classes, settings.as_dict(), validation=validation)
    privacy = _finetuning_record(classifier).get("privacy")
    if privacy:
        seed = settings.seed
        scores |= private_tfidf_scores(train, test, classes, privacy, seed, validation=validation)
    return scores


def _finetuning_record(classifier: ModelRef) -> dict[str, Any]:
    return (classifier.side_file(LINEAGE_FILE) or {}).get("finetuning") or {}


@typed_settings
def score_no_pretrain_baseline(
    baseline: ModelRef, test: pd.DataFrame, label_map: dict, evaluation: Evaluation
) -> dict[str, float]:
    """Test accuracy and macro-F1 of the no-pretraining baseline (`no_pretrain_*`); empty
    when fine-tuning skipped it."""
    if baseline.skipped:
        return {}
    predictions = predict_test_split(baseline, test, label_map, evaluation)
    metrics, _, _ = score_predictions(predictions, label_map, evaluation)
    return {f"no_pretrain_{k}": metrics[k] for k in KEPT_METRICS}


def assemble_metrics(
    model_metrics: dict[str, float],
    validation_metrics: dict[str, float],
    tfidf: dict[str, float],
    no_pretrain: dict[str, float],
) -> dict[str, float]:
    """The flat `metrics.json`: the classifier's scores (test, and `val_*` on validation), the
    baselines', and the deltas."""
    report = {**model_metrics, **validation_metrics, **tfidf, **no_pretrain}
    for baseline in ("tfidf_lr", "tfidf_lr_dp", "no_pretrain"):
        for name in KEPT_METRICS:
            if f"{baseline}_{name}" in report:
                report[f"delta_vs_{baseline}_{name}"] = report[name] - report[f"{baseline}_{name}"]
    return {k: round(float(v), 6) for k, v in report.items()}


def mlflow_metrics(
    metrics: dict[str, float], latency: dict[str, float]
) -> dict[str, dict[str, float]]:
    from lmforge.tracking.mlflow_logging import flat_metrics

    return flat_metrics({**metrics, **latency})


@typed_settings
def registration_candidate(
    classifier: ModelRef,
    metrics: dict[str, float],
    label_map: dict,
    test: pd.DataFrame,
    registry: Registry,
) -> ClassifierCandidate:
    """The registry step's input: the classifier folder, its test metrics, the fingerprint of
    the test set they were measured on, the gate's settings, and its privacy guarantee: a
    private model competes for `<alias>-dp`, only with private models. A federated model is
    tagged `lmforge.training=federated` and competes like any other. With
    `registry.baseline_gate`, its validation macro-F1 must reach TF-IDF + LR's (a private
    model's: TF-IDF + LR's under the same guarantee)."""
    from lmforge.tracking.registry import ClassifierCandidate, baseline_gate, private_alias

    finetuning = _finetuning_record(classifier)
    privacy = finetuning.get("privacy")
    return ClassifierCandidate(
        model_dir=str(classifier.path),
        classes=list(label_map["classes"]),
        metrics=metrics,
        model_name=registry.model_name,
        alias=private_alias(registry.alias) if privacy else registry.alias,
        metric=registry.metric,
        min_improvement=registry.min_improvement,
        test_set=test_set_fingerprint(test),
        promote=registry.promote,
        serving=registry.serving.as_dict(),
        privacy=privacy,
        training=finetuning.get("training") or "centralized",
        baseline_gate=baseline_gate(
            metrics, registry.as_dict(), "val_", "tfidf_lr_dp" if privacy else "tfidf_lr"
        ),
        gate_lock=registry.gate_lock,
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
    """Every upstream stage's parameters (as kedro-mlflow names them) and run ids, and where
    pretraining started and why (`lmforge.init_from*`), so the evaluation run alone shows what
    shaped the model, however the stages were run."""
    lineage = classifier.side_file(LINEAGE_FILE) or {}
    params, tags = {}, {}
    for stage, record in lineage.items():
        params.update(_flatten(record.get("params", {})))
        if record.get("mlflow_run_id"):
            tags[f"upstream.{stage}.run_id"] = record["mlflow_run_id"]
        for key, value in (record.get("summary") or {}).items():
            tags[f"upstream.{stage}.{key}"] = value
        for key, value in (record.get("starting_point") or {}).items():
            if value is not None:
                tags[f"lmforge.{key if key == 'init_from' else 'init_from_' + key}"] = value
    return {"params": params, "tags": tags}
