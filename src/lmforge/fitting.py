"""Fine-tuning's one entry point: the recipe trained centrally (`classification.finetune`) or
federated (`federated.training`: FedAvg with Flower), as `finetuning.federated.enabled` says.
It sits above both, so `modeling` never calls back into `federated`, which builds on it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from lmforge.classification.finetune import FinetuneSettings, FitOutcome
    from lmforge.modeling.artifacts import ModelRef


def fit(
    init: ModelRef,
    tokenizer: Any,
    train: pd.DataFrame,
    validation: pd.DataFrame,
    classes: list[str],
    finetuning: dict[str, Any],
    stage: str,
    checkpoint_root: str | None,
    random_weights: bool = False,
) -> tuple[FitOutcome, FinetuneSettings]:
    """Fine-tune a classifier from `init` (`classification.finetune.fit_from`), federated when
    `finetuning.federated.enabled` (the no-pretraining baseline, `random_weights`, always
    trains centrally)."""
    from lmforge.classification.finetune import (
        FinetuneSettings,
        end_on_the_last_text_token,
        ensure_padding,
        fit_from,
    )

    if random_weights or not (finetuning.get("federated") or {}).get("enabled"):
        args = (train, validation, classes, finetuning, stage, checkpoint_root, random_weights)
        return fit_from(init, tokenizer, *args)
    from lmforge.federated.training import fit_federated

    outcome = fit_federated(init, train, validation, classes, finetuning)
    ensure_padding(outcome.model, tokenizer)  # the tokenizer saved with the model
    end_on_the_last_text_token(outcome.model, tokenizer)
    return outcome, FinetuneSettings.from_params(finetuning)
