"""`TrainConfig`: the `training` block of a training stage's parameters (no torch here, so
the parameter check can import it cheaply)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class TrainConfig:
    """The `training` block of a stage's parameters."""

    max_steps: int | None = None
    epochs: float | None = None
    batch_size: int = 32  # sequences per optimizer step, over all processes and micro-steps
    grad_accum_steps: int = 1
    lr: float = 5e-4
    layer_lr_decay: float = 1.0  # < 1: lower layers train slower (see layers.layer_lr_scales)
    budget_minutes: float | None = None  # plan the steps so training fits this wall time
    weight_decay: float = 0.01
    betas: tuple[float, float] = (0.9, 0.98)
    warmup_ratio: float = 0.06
    min_lr_ratio: float = 0.1
    max_grad_norm: float = 1.0
    log_every: int = 10
    eval_every: int = 100
    eval_batch_size: int = 64
    early_stopping_patience: int | None = None
    restore_best: bool = True
    checkpoint_every: int = 100
    keep_checkpoints: int = 2
    keep_checkpoints_on_success: bool = False
    seed: int = 42
    device: str = "auto"
    precision: str = "auto"
    compile: bool = False
    devices: int = 1
    progress_bar: bool = True

    @classmethod
    def from_dict(cls, params: dict[str, Any]) -> TrainConfig:
        unknown = sorted(set(params) - set(cls.__dataclass_fields__))
        if unknown:
            raise ValueError(f"Unknown training parameters: {unknown}")
        values = dict(params)
        if "betas" in values:
            values["betas"] = tuple(values["betas"])
        return cls(**values)

    def total_steps(self, steps_per_epoch: int) -> int:
        if self.max_steps is None and self.epochs is None:
            raise ValueError("set training.max_steps or training.epochs")
        by_epochs = math.ceil(self.epochs * steps_per_epoch) if self.epochs else None
        return min(s for s in (self.max_steps, by_epochs) if s is not None)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
