"""`TrainConfig`: the `training` block of a training stage's parameters, and `PrivacyConfig`:
fine-tuning's `privacy` block (no torch here, so the parameter check can import them cheaply)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Annotated, Any

from annotated_types import Interval


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
    # the part of one warmup-and-decay schedule this run covers: (0, 1) all of it; a federated
    # round r of R covers ((r-1)/R, r/R), so the rounds follow one schedule like a central run
    schedule_window: tuple[float, float] = (0.0, 1.0)
    max_grad_norm: float = 1.0
    # evaluate, keep and return a moving average of the weights (weight_average.py)
    ema_decay: Annotated[float, Interval(gt=0.0, lt=1.0)] | None = None
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
        for key in ("betas", "schedule_window"):
            if key in values:
                values[key] = tuple(values[key])
        start, end = values.get("schedule_window", (0.0, 1.0))
        if not 0.0 <= start < end <= 1.0:
            raise ValueError(
                "training.schedule_window must satisfy 0 <= start < end <= 1, got "
                f"{values['schedule_window']}"
            )
        decay = values.get("ema_decay")
        if decay is not None and not 0.0 < decay < 1.0:
            raise ValueError(f"training.ema_decay must be in (0, 1) or null, got {decay}")
        return cls(**values)

    def total_steps(self, steps_per_epoch: int) -> int:
        if self.max_steps is None and self.epochs is None:
            raise ValueError("set training.max_steps or training.epochs")
        by_epochs = math.ceil(self.epochs * steps_per_epoch) if self.epochs else None
        return min(s for s in (self.max_steps, by_epochs) if s is not None)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


ACCOUNTANTS = ("prv", "rdp")


class PrivacyConfigError(ValueError):
    """A private training configuration that cannot work; raised before any training."""


@dataclass(frozen=True)
class PrivacyConfig:
    """The `privacy` block of the fine-tuning parameters."""

    enabled: bool = False
    target_epsilon: float = 8.0
    delta: float | None = None  # None: 1/n rounded down to a power of ten (strictly below 1/n)
    max_grad_norm: float = 1.0  # the per-sample clipping bound C
    accountant: str = "prv"

    @classmethod
    def from_dict(cls, params: dict[str, Any] | None) -> PrivacyConfig:
        config = cls(**(params or {}))
        if config.accountant not in ACCOUNTANTS:
            raise PrivacyConfigError(
                f"finetuning.privacy.accountant must be one of {ACCOUNTANTS}, "
                f"not '{config.accountant}'"
            )
        if config.enabled and (config.target_epsilon <= 0 or config.max_grad_norm <= 0):
            raise PrivacyConfigError(
                "finetuning.privacy.target_epsilon and max_grad_norm must be positive"
            )
        return config


def default_delta(n_rows: int) -> float:
    """1/n rounded down to a power of ten, strictly below 1/n (δ = 1/n would allow leaking
    one whole row)."""
    return 10.0 ** math.floor(math.log10(1.0 / n_rows) - 1e-9)


def private_training_problems(config: TrainConfig) -> list[str]:
    """Why `config` cannot train privately, with what works instead (empty: it can)."""
    problems = []
    if config.devices > 1:
        problems.append(
            "training.devices > 1: DP-SGD here runs in one process (Opacus's DPDDP is not wired "
            "in); use devices: 1"
        )
    if config.grad_accum_steps != 1:
        problems.append(
            "training.grad_accum_steps != 1: a Poisson batch is one logical batch whose size "
            "varies; set grad_accum_steps: 1 and choose batch_size directly"
        )
    if config.compile:
        problems.append("training.compile: Opacus's per-sample hooks do not trace; set false")
    return problems


def check_compatible(config: TrainConfig) -> None:
    """Refuse, before any work, a training block that cannot run privately."""
    problems = private_training_problems(config)
    if problems:
        raise PrivacyConfigError(
            "finetuning.privacy.enabled cannot run with " + "; ".join(problems)
        )
