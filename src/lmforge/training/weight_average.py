"""An exponential moving average of the trainable weights (Polyak-Ruppert averaging).

With `training.ema_decay` set, the trainer keeps, next to the weights it steps, their moving
average, and evaluates, selects and returns the average. It smooths out the steps' noise:
with DP-SGD that noise is the privacy mechanism's own, and averaging the noisy iterates is
post-processing, so it costs no privacy (De et al., 2022, "Unlocking high-accuracy
differentially private image classification through scale"). The decay warms up as in
TensorFlow's `ExponentialMovingAverage` (`min(decay, (1 + t) / (10 + t))`), so the first
steps are not averaged with the initial weights for long.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn


def warmed_up_decay(decay: float, step: int) -> float:
    """The decay applied after optimizer step `step` (counted from 1)."""
    return min(decay, (1.0 + step) / (10.0 + step))


class WeightAverage:
    """The moving average of `model`'s trainable parameters."""

    def __init__(self, model: nn.Module, decay: float) -> None:
        if not 0.0 < decay < 1.0:
            raise ValueError(f"training.ema_decay must be in (0, 1), got {decay}")
        self.decay = decay
        self.parameters = {n: p for n, p in model.named_parameters() if p.requires_grad}
        self.average = {n: p.detach().clone() for n, p in self.parameters.items()}

    @torch.no_grad()
    def update(self, step: int) -> None:
        """Fold the weights after optimizer step `step` into the average."""
        weight = 1.0 - warmed_up_decay(self.decay, step)
        for name, parameter in self.parameters.items():
            self.average[name].lerp_(parameter.detach(), weight)

    @torch.no_grad()
    def _swap(self) -> None:
        for name, parameter in self.parameters.items():
            current = parameter.detach().clone()
            parameter.copy_(self.average[name])
            self.average[name].copy_(current)

    @contextmanager
    def applied(self) -> Iterator[None]:
        """The model holds the average inside the block and its own weights again after it."""
        self._swap()
        try:
            yield
        finally:
            self._swap()

    @torch.no_grad()
    def copy_to_model(self) -> None:
        """Replace the model's trainable weights by the average (at the end of training)."""
        for name, parameter in self.parameters.items():
            parameter.copy_(self.average[name])

    def state_dict(self) -> dict[str, torch.Tensor]:
        return {name: tensor.detach().to("cpu", copy=True) for name, tensor in self.average.items()}

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        missing = sorted(set(self.average) - set(state))
        if missing:
            raise KeyError(f"the checkpoint's weight average lacks {missing[:3]}")
        for name, tensor in self.average.items():
            tensor.copy_(state[name].to(tensor.device))
