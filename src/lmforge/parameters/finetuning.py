"""The parameter block of the `finetuning` pipeline (types; defaults in
conf/base/parameters_finetuning.yml)."""

from __future__ import annotations

from typing import Annotated, Literal

from annotated_types import Interval

from lmforge.federated.config import FederatedConfig, federated_problems
from lmforge.parameters import (
    CHECKPOINT_OVERRIDES,
    Strict,
    from_dataclass,
    partial_model,
    with_overrides,
)
from lmforge.training.config import (
    PrivacyConfig,
    TrainConfig,
    private_training_problems,
)

Training = from_dataclass(TrainConfig, "Training")


class Privacy(from_dataclass(PrivacyConfig, "PrivacyFields")):  # type: ignore[misc]
    accountant: Literal["prv", "rdp"] | None = None


Federated = from_dataclass(FederatedConfig, "Federated")


class Lora(Strict):
    r: int
    alpha: float
    dropout: float
    target_modules: list[str] | None
    merge: bool


class HeadWarmup(Strict):
    steps: int
    lr: float | None


class FinetuningSettings(Strict):
    init_from: str
    strategy: Literal["full", "head", "lora"]
    dropout: Annotated[float, Interval(ge=0.0, lt=1.0)] | None
    freeze_layers: int
    class_weighted_loss: bool
    no_pretrain_baseline: bool
    max_length: int
    lora: Lora
    head_warmup: HeadWarmup
    privacy: Privacy
    federated: Federated
    training: Training


CheckpointOverrides = partial_model(
    FinetuningSettings, "FinetuningCheckpointOverrides", leave_out=("init_from",)
)


class Finetuning(FinetuningSettings):
    checkpoint_overrides: CheckpointOverrides  # type: ignore[valid-type]

    def for_start(self, from_checkpoint: bool) -> FinetuningSettings:
        """The settings for fine-tuning a model that started from a pretrained checkpoint
        (`checkpoint_overrides` applied) or from scratch (the block as it is)."""
        block = self.as_dict()
        overrides = block[CHECKPOINT_OVERRIDES] if from_checkpoint else None
        return FinetuningSettings.model_validate(with_overrides(block, overrides))


def private_finetuning_runs(params: dict) -> list[str]:
    """With `finetuning.privacy.enabled`, the training block must allow DP-SGD and nothing may
    read the training rows without noise (the head warm-up): checked before any work."""
    finetuning = params.get("finetuning") or {}
    if not (finetuning.get("privacy") or {}).get("enabled"):
        return []
    training = {k: v for k, v in (finetuning.get("training") or {}).items() if v is not None}
    problems = [
        f"finetuning.privacy.enabled: {p}"
        for p in private_training_problems(TrainConfig.from_dict(training))
    ]
    if (finetuning.get("head_warmup") or {}).get("steps"):
        problems.append(
            "finetuning.privacy.enabled: finetuning.head_warmup.steps must be 0 (the warm-up "
            "would read the training rows without noise)"
        )
    return problems


def federated_finetuning_runs(params: dict) -> list[str]:
    """With `finetuning.federated.enabled`: the combinations a federation cannot run."""
    return federated_problems(params.get("finetuning") or {})


SETTINGS = {"finetuning": Finetuning}
CROSS_CHECKS = (private_finetuning_runs, federated_finetuning_runs)
