"""Nodes of the `finetuning` pipeline."""

from __future__ import annotations

from typing import Any

import pandas as pd

from lmforge.modeling.artifacts import (
    LABEL_MAP_FILE,
    LINEAGE_FILE,
    ModelBundle,
    ModelRef,
    resolve_init,
)
from lmforge.modeling.classification import FinetuneSettings, fit_classifier, frame_fingerprint
from lmforge.modeling.model import build_classifier
from lmforge.serving.pyfunc import SERVING_FILE
from lmforge.tracking.lineage import path_md5
from lmforge.tracking.mlflow_logging import flat_metrics


def finetune_classifier(
    pretrained: ModelRef,
    train: pd.DataFrame,
    validation: pd.DataFrame,
    label_map: dict,
    data_lineage: dict[str, Any],
    finetuning: dict[str, Any],
) -> tuple[ModelBundle, pd.DataFrame, dict[str, Any]]:
    """Fine-tune a classifier on `train` (early stopping on validation macro-F1).

    Returns the classifier folder (weights, tokenizer, label map, lineage), its training
    curves and summary metrics.
    """
    init = resolve_init(pretrained, finetuning["init_from"])
    settings = FinetuneSettings.from_params(finetuning)
    classes = list(label_map["classes"])
    model = build_classifier(init.location, classes, seed=finetuning["training"].get("seed", 42))
    tokenizer = init.tokenizer()
    fingerprint = {
        "init": path_md5(init.path) or init.location,
        "settings": settings.__dict__,
        "data": frame_fingerprint(train, validation),
        "classes": classes,
    }
    outcome = fit_classifier(
        model,
        tokenizer,
        train,
        validation,
        classes,
        settings,
        finetuning["training"],
        "finetuning",
        fingerprint,
        finetuning.get("checkpoint_dir"),
    )
    trained, adapter_base = outcome.model, None
    if settings.strategy == "lora":
        if settings.lora.get("merge", True):
            trained = trained.merge_and_unload()
        else:
            adapter_base = trained.get_base_model()
    upstream = init.side_file(LINEAGE_FILE) or {"pretrained": {"location": init.location}}
    summary = {
        **outcome.result.summary,
        **{f"last_{k}": v for k, v in outcome.result.final_metrics.items()},
        "best_val_macro_f1": outcome.result.best_metric,
    }
    lineage = {
        **data_lineage,
        **upstream,
        "finetuning": {
            "params": {"finetuning": finetuning},
            "init_from": init.location,
            "mlflow_run_id": outcome.run_id,
            "summary": summary,
        },
    }
    files = {
        LABEL_MAP_FILE: label_map,
        LINEAGE_FILE: lineage,
        SERVING_FILE: {"max_length": outcome.max_length, "classes": classes},
    }
    bundle = ModelBundle(trained, tokenizer, files=files, adapter_base=adapter_base)
    return bundle, outcome.curves, flat_metrics(summary)
