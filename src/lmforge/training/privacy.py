"""Differentially private training (DP-SGD) with Opacus, inside the one training loop.

With `finetuning.privacy.enabled`, each optimizer step
- draws its batch by **Poisson sampling**: every training row independently with probability
  q = batch_size / n (the sampling the privacy accountant assumes; seeded by the step, so a
  resumed run draws the same batches),
- computes **per-sample gradients** (Opacus `GradSampleModule`; GPT-2's `Conv1D`, which has no
  native grad sampler, goes through Opacus's functorch fallback),
- clips each to `max_grad_norm` and adds Gaussian noise (Opacus `DPOptimizer`), the noise
  multiplier calibrated so that the planned steps spend exactly `target_epsilon` at `delta`.

The accountant (`prv`, Opacus's default, or `rdp`) turns (noise multiplier, q, steps) into the
ε spent so far; every step uses the same σ and q, so ε after k steps is recomputed from k and a
resumed run needs no accountant state. Hugging Face models build `position_ids` with batch
size 1, which breaks the position embedding's per-sample gradient: a forward pre-hook passes
them expanded to the batch.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

import numpy as np
import torch
from torch import nn

from lmforge.training.config import PrivacyConfig, PrivacyConfigError, default_delta

logger = logging.getLogger(__name__)
SMALL_BATCH = 128  # below this expected batch size, DP noise usually swamps the signal


def _expand_positions(module: nn.Module, args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    if kwargs.get("position_ids") is None and "input_ids" in kwargs:
        batch, length = kwargs["input_ids"].shape
        positions = torch.arange(length, device=kwargs["input_ids"].device)
        kwargs["position_ids"] = positions.expand(batch, length)
    return args, kwargs


def private_wrap(
    objective: nn.Module,
    optimizer: torch.optim.Optimizer,
    noise_multiplier: float,
    max_grad_norm: float,
    expected_batch_size: int,
) -> tuple[nn.Module, torch.optim.Optimizer, list[Any]]:
    """`objective` with per-sample gradients and `optimizer` that clips and noises them;
    also the hook handles to remove afterwards (`unwrap`)."""
    from opacus import GradSampleModule
    from opacus.optimizers import DPOptimizer

    handles = [objective.model.register_forward_pre_hook(_expand_positions, with_kwargs=True)]
    module = GradSampleModule(objective, loss_reduction="mean", strict=False)
    dp_optimizer = DPOptimizer(
        optimizer,
        noise_multiplier=noise_multiplier,
        max_grad_norm=max_grad_norm,
        expected_batch_size=expected_batch_size,
        loss_reduction="mean",
    )
    return module, dp_optimizer, [*handles, module]


def unwrap(handles: list[Any], model: nn.Module) -> None:
    """Remove the hooks and the per-sample gradients: the model is a plain model again."""
    for handle in handles:
        if hasattr(handle, "_close"):
            handle._close()
        else:
            handle.remove()
    for parameter in model.parameters():
        for name in ("grad_sample", "summed_grad"):
            if hasattr(parameter, name):
                setattr(parameter, name, None)


# The accountants are pure functions of their arguments and slow (Opacus's RDP over fractional
# orders: about a second per ε, dozens of ε in a calibration), and a process asks the same
# questions again: a resumed run, the private baseline beside the private fine-tuning, the
# ε logged at each evaluation.
@functools.lru_cache(maxsize=256)
def calibrated_noise_multiplier(
    target_epsilon: float, delta: float, sample_rate: float, steps: int, accountant: str
) -> float:
    """The noise multiplier with which `steps` steps at `sample_rate` spend `target_epsilon`."""
    from opacus.accountants.utils import get_noise_multiplier

    return float(
        get_noise_multiplier(
            target_epsilon=target_epsilon,
            target_delta=delta,
            sample_rate=sample_rate,
            steps=steps,
            accountant=accountant,
        )
    )


@functools.lru_cache(maxsize=4096)
def spent_epsilon(
    noise_multiplier: float, sample_rate: float, steps: int, delta: float, accountant: str
) -> float:
    """ε spent by `steps` noisy steps at `noise_multiplier` and `sample_rate`, at `delta`."""
    from opacus.accountants import create_accountant

    accounting = create_accountant(mechanism=accountant)
    accounting.history = [(noise_multiplier, sample_rate, steps)]
    return float(accounting.get_epsilon(delta=delta))


class PrivateTraining:
    """The DP-SGD plan of one training run: sampling rate, δ, the calibrated noise multiplier,
    Poisson batches and the ε spent."""

    def __init__(self, config: PrivacyConfig, n_rows: int, batch_size: int, steps: int, seed: int):
        if n_rows < 2:
            raise PrivacyConfigError("private training needs at least 2 training rows")
        self.config, self.n_rows, self.seed, self.steps = config, n_rows, seed, steps
        self.expected_batch_size = min(batch_size, n_rows)
        self.sample_rate = self.expected_batch_size / n_rows
        self.delta = config.delta if config.delta is not None else default_delta(n_rows)
        if not 0 < self.delta < 1 / n_rows:
            raise PrivacyConfigError(
                f"finetuning.privacy.delta must be in (0, 1/n) = (0, {1 / n_rows:.2g}) for "
                f"{n_rows} training rows, not {self.delta:g} (δ ≥ 1/n would allow leaking a "
                "whole row; null picks 1/n rounded down to a power of ten)"
            )
        self.noise_multiplier = calibrated_noise_multiplier(
            config.target_epsilon, self.delta, self.sample_rate, max(1, steps), config.accountant
        )
        self._handles: list[Any] = []
        if self.expected_batch_size < SMALL_BATCH:
            logger.warning(
                "DP-SGD with batch_size %d: the noise per coordinate is σ·C/batch, large at this "
                "size; batches of %d+ and a higher learning rate for head/lora work better "
                "(kedro run --env private; docs/privacy.md)",
                self.expected_batch_size,
                SMALL_BATCH,
            )

    def rows(self, step: int) -> np.ndarray:
        """Step `step`'s Poisson sample of training rows (possibly empty)."""
        rng = np.random.default_rng([self.seed, step, 0xD9])
        return np.flatnonzero(rng.random(self.n_rows) < self.sample_rate)

    def epsilon(self, steps: int) -> float:
        """ε spent after `steps` noisy steps (at this run's δ)."""
        if steps <= 0:
            return 0.0
        return spent_epsilon(
            self.noise_multiplier, self.sample_rate, steps, self.delta, self.config.accountant
        )

    def attach(
        self, objective: nn.Module, optimizer: torch.optim.Optimizer
    ) -> tuple[nn.Module, torch.optim.Optimizer]:
        module, dp_optimizer, self._handles = private_wrap(
            objective,
            optimizer,
            self.noise_multiplier,
            self.config.max_grad_norm,
            self.expected_batch_size,
        )
        return module, dp_optimizer

    def detach(self, model: nn.Module) -> None:
        unwrap(self._handles, model)
        self._handles = []

    def summary(self, steps: int) -> dict[str, float]:
        return {
            "epsilon": self.epsilon(steps),
            "delta": self.delta,
            "noise_multiplier": self.noise_multiplier,
            "max_grad_norm": self.config.max_grad_norm,
            "sample_rate": self.sample_rate,
        }

    def describe(self, steps: int) -> dict[str, Any]:
        """The guarantee, for the model's lineage and model card."""
        return {
            "mechanism": "DP-SGD (Opacus): Poisson sampling, per-sample clipping, Gaussian noise",
            "unit": "one labeled training row",
            "accountant": self.config.accountant,
            "target_epsilon": self.config.target_epsilon,
            "steps": steps,
            **self.summary(steps),
        }


def noise_only_gradients(model: nn.Module) -> None:
    """An empty Poisson batch still takes a (pure noise) step: empty per-sample gradients."""
    for parameter in model.parameters():
        if parameter.requires_grad:
            parameter.grad_sample = torch.zeros((0, *parameter.shape), device=parameter.device)
