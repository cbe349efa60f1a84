"""Structured pruning of the feed-forward neurons of GPT-2 and BERT classifiers.

Whole neurons (a column of the up-projection and the matching row of the down-projection) are
removed, the same number in every layer, ranked per layer by an importance score. The matrices
really shrink and the config's `n_inner` / `intermediate_size` says so, so the result is a
smaller dense model that `AutoModelForSequenceClassification.from_pretrained` loads as it is.

Attention heads are not removed: GPT-2's and BERT's configs derive the head size from
`hidden_size / num_heads` for every layer, so a model with fewer (or per-layer) heads could not
be reloaded by the stock classes. Feed-forward neurons hold two thirds of a layer's weights,
enough to reach half of the encoder's parameters.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch
from torch import nn
from transformers.pytorch_utils import Conv1D, prune_linear_layer

SCORES = ("magnitude", "taylor")


@dataclass
class FeedForward:
    """One layer's feed-forward block: the up-projection (into the neurons) and the
    down-projection (out of them), with the names to set the pruned modules back."""

    owner_up: nn.Module
    up_name: str
    owner_down: nn.Module
    down_name: str

    @property
    def up(self) -> nn.Module:
        return getattr(self.owner_up, self.up_name)

    @property
    def down(self) -> nn.Module:
        return getattr(self.owner_down, self.down_name)


def feed_forward_blocks(model: nn.Module) -> Iterator[FeedForward]:
    """The feed-forward blocks of a GPT-2 or BERT model (bare or with a head)."""
    base = getattr(model, "base_model", model)
    kind = model.config.model_type
    if kind == "gpt2":
        for block in base.h:
            yield FeedForward(block.mlp, "c_fc", block.mlp, "c_proj")
    elif kind == "bert":
        for layer in base.encoder.layer:
            yield FeedForward(layer.intermediate, "dense", layer.output, "dense")
    else:
        raise ValueError(f"structured pruning supports gpt2 and bert models, not '{kind}'")


def _in_out(layer: nn.Module) -> tuple[torch.Tensor, int]:
    """The weight as (outputs × inputs), whatever the layer type."""
    if isinstance(layer, Conv1D):
        return layer.weight.t(), layer.nf
    return layer.weight, layer.out_features


def neuron_importance(block: FeedForward, score: str = "magnitude") -> torch.Tensor:
    """One score per neuron. `magnitude`: ‖weights in‖·‖weights out‖. `taylor`: |w·∂L/∂w|
    summed over the neuron's weights (first-order Taylor; needs gradients already computed)."""
    up, _ = _in_out(block.up)
    down, _ = _in_out(block.down)  # (hidden × neurons)
    if score == "magnitude":
        return up.detach().norm(dim=1) * down.detach().norm(dim=0)
    if score == "taylor":
        up_grad, down_grad = _grad(block.up), _grad(block.down)
        return (up * up_grad).abs().sum(1).detach() + (down * down_grad).abs().sum(0).detach()
    raise ValueError(f"compression.pruning.score must be one of {SCORES}, not '{score}'")


def _grad(layer: nn.Module) -> torch.Tensor:
    if layer.weight.grad is None:
        raise ValueError("taylor importance needs gradients: run a backward pass first")
    grad = layer.weight.grad
    return grad.t() if isinstance(layer, Conv1D) else grad


def _keep_outputs(layer: nn.Module, index: torch.Tensor) -> nn.Module:
    if isinstance(layer, Conv1D):
        pruned = Conv1D(len(index), layer.nx)
        pruned.weight.data = layer.weight.data[:, index].clone()
        pruned.bias.data = layer.bias.data[index].clone()
        return pruned.to(layer.weight.device)
    return prune_linear_layer(layer, index, dim=0)


def _keep_inputs(layer: nn.Module, index: torch.Tensor) -> nn.Module:
    if isinstance(layer, Conv1D):
        pruned = Conv1D(layer.nf, len(index))
        pruned.weight.data = layer.weight.data[index, :].clone()
        pruned.bias.data = layer.bias.data.clone()
        return pruned.to(layer.weight.device)
    return prune_linear_layer(layer, index, dim=1)


def encoder_parameters(model: nn.Module) -> int:
    """Parameters of the transformer layers (embeddings and the task head excluded)."""
    base = getattr(model, "base_model", model)
    layers = base.h if model.config.model_type == "gpt2" else base.encoder.layer
    return sum(p.numel() for p in layers.parameters())


def neurons_for_fraction(model: nn.Module, keep_fraction: float) -> int:
    """How many neurons per layer leave `keep_fraction` of the encoder's parameters."""
    blocks = list(feed_forward_blocks(model))
    width = _in_out(blocks[0].up)[1]
    hidden = _in_out(blocks[0].up)[0].shape[1]
    per_neuron = len(blocks) * (2 * hidden + 1)  # a column in, a row out, one bias
    fixed = encoder_parameters(model) - per_neuron * width
    neurons = math.floor((keep_fraction * encoder_parameters(model) - fixed) / per_neuron)
    if neurons < 1:
        share = fixed / encoder_parameters(model)
        raise ValueError(
            f"compression.pruning.keep_fraction={keep_fraction} is below what feed-forward "
            f"pruning can reach: attention and layer norms alone are {share:.0%} of the encoder"
        )
    return min(neurons, width)


def prune_feed_forward(
    model: nn.Module,
    neurons: int,
    score: str = "magnitude",
    importance: Callable[[FeedForward], torch.Tensor] | None = None,
) -> nn.Module:
    """Keep the `neurons` most important neurons of every feed-forward block, in place;
    the config's feed-forward width follows."""
    for block in feed_forward_blocks(model):
        scores = importance(block) if importance else neuron_importance(block, score)
        keep = scores.topk(neurons).indices.sort().values
        setattr(block.owner_up, block.up_name, _keep_outputs(block.up, keep))
        setattr(block.owner_down, block.down_name, _keep_inputs(block.down, keep))
    if model.config.model_type == "gpt2":
        model.config.n_inner = neurons
    else:
        model.config.intermediate_size = neurons
    return model
