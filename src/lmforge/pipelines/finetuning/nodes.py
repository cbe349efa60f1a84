"""Nodes of the `finetuning` pipeline."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from lmforge.parameters import typed_settings
from lmforge.parameters.finetuning import Finetuning

if TYPE_CHECKING:  # torch, transformers and mlflow are imported by the nodes that use them
    from lmforge.modeling.artifacts import ModelBundle, ModelRef


@typed_settings
def finetune_classifier(
    pretrained: ModelRef,
    train: pd.DataFrame,
    validation: pd.DataFrame,
    label_map: dict,
    data_lineage: dict[str, Any],
    finetuning: Finetuning,
    checkpoint_root: str | None,
) -> tuple[ModelBundle, pd.DataFrame, dict[str, Any]]:
    """Fine-tune a classifier on `train` (early stopping on validation macro-F1).

    Returns the classifier folder (weights, tokenizer, label map, lineage), its training
    curves and summary metrics.
    """
    from lmforge.fitting import fit
    from lmforge.modeling.artifacts import ModelBundle, resolve_init
    from lmforge.modeling.side_files import LABEL_MAP_FILE, LINEAGE_FILE, SERVING_FILE
    from lmforge.tracking.mlflow_logging import flat_metrics

    init = resolve_init(pretrained, finetuning.init_from)
    settings = finetuning.for_start(init.from_checkpoint)
    classes = list(label_map["classes"])
    tokenizer = init.tokenizer()
    args = (classes, settings.as_dict(), "finetuning", checkpoint_root)
    outcome, _ = fit(init, tokenizer, train, validation, *args)
    trained, adapter_base = outcome.model, None
    if settings.strategy == "lora":
        if settings.lora.merge:
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
            "params": {"finetuning": settings.as_dict()},
            "init_from": init.location,
            "mlflow_run_id": outcome.run_id,
            "summary": summary,
            "privacy": outcome.result.privacy,  # the DP guarantee, or None
            "training": "federated" if outcome.federation else "centralized",
            "federation": outcome.federation,  # clients, their row counts, rounds (or None)
        },
    }
    files = {
        LABEL_MAP_FILE: label_map,
        LINEAGE_FILE: lineage,
        SERVING_FILE: {"max_length": outcome.max_length, "classes": classes},
    }
    bundle = ModelBundle(trained, tokenizer, files=files, adapter_base=adapter_base)
    return bundle, outcome.curves, flat_metrics(summary)


@typed_settings
def finetune_no_pretrain_baseline(
    pretrained: ModelRef,
    train: pd.DataFrame,
    validation: pd.DataFrame,
    label_map: dict,
    finetuning: Finetuning,
    checkpoint_root: str | None,
) -> ModelBundle:
    """The classifier's architecture from random weights, fine-tuned with the same parameters
    and budget; evaluation scores it beside the classifier: what pretraining is worth.
    With `finetuning.no_pretrain_baseline: false` the folder only records that it was skipped."""
    from lmforge.fitting import fit
    from lmforge.modeling.artifacts import ModelBundle, resolve_init
    from lmforge.modeling.side_files import LABEL_MAP_FILE, SERVING_FILE

    init = resolve_init(pretrained, finetuning.init_from)
    settings = finetuning.for_start(init.from_checkpoint)
    if not settings.no_pretrain_baseline:
        return ModelBundle.skipped("finetuning.no_pretrain_baseline is false")
    classes = list(label_map["classes"])
    tokenizer = init.tokenizer()
    args = (classes, settings.as_dict(), "no_pretrain", checkpoint_root, True)
    outcome, _ = fit(init, tokenizer, train, validation, *args)
    files = {
        LABEL_MAP_FILE: label_map,
        SERVING_FILE: {"max_length": outcome.max_length, "classes": classes},
    }
    return ModelBundle(outcome.model, tokenizer, files=files)
