"""The parameter block of the `finetuning` pipeline (types; defaults in
conf/base/parameters_finetuning.yml)."""

from __future__ import annotations

from typing import Literal

from lmforge.modeling.train_config import TrainConfig
from lmforge.parameters import Strict, from_dataclass

Training = from_dataclass(TrainConfig, "Training")


class Lora(Strict):
    r: int
    alpha: float
    dropout: float
    target_modules: list[str] | None
    merge: bool


class HeadWarmup(Strict):
    steps: int
    lr: float | None


class Finetuning(Strict):
    init_from: str
    strategy: Literal["full", "head", "lora"]
    freeze_layers: int
    class_weighted_loss: bool
    no_pretrain_baseline: bool
    max_length: int
    lora: Lora
    head_warmup: HeadWarmup
    training: Training


SETTINGS = {"finetuning": Finetuning}
