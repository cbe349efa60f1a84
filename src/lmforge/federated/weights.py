"""The model every party of a federation builds, and the weights they exchange.

The server and each client build the same classifier from the same pretrained folder (the
base every party holds) with the same seed and strategy; only the trainable weights travel:
all of them for `full`, the head for `head`, the adapters and the head for `lora`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

from lmforge.classification.finetune import (
    FinetuneSettings,
    apply_strategy,
    effective_max_length,
    end_on_the_last_text_token,
    ensure_padding,
)
from lmforge.modeling.artifacts import ModelRef
from lmforge.modeling.model import build_classifier

# Training keys a client's round replaces: a round is `local_epochs` over the client's rows,
# whole (no time cap, no early stopping on a validation set the client does not have).
_ROUND = {
    "max_steps": None,
    "budget_minutes": None,
    "early_stopping_patience": None,
    "restore_best": False,
    "progress_bar": False,
    "devices": 1,
}


@dataclass(frozen=True)
class FederationSpec:
    """What every party needs to build the model, sent to the ServerApp and every ClientApp
    as JSON in the run config (`run_config["spec"]`): no file to copy to the clients' machines
    but the pretrained folder `base`."""

    base: str  # the pretrained model folder
    classes: list[str]
    finetuning: dict[str, Any]  # the `finetuning` parameter block
    mlflow_run_id: str | None = None  # the server logs each round into this run
    tracking_uri: str | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), default=str)

    @classmethod
    def from_json(cls, text: str) -> FederationSpec:
        return cls(**json.loads(text))

    @property
    def settings(self) -> FinetuneSettings:
        return FinetuneSettings.from_params(self.finetuning)

    @property
    def seed(self) -> int:
        return int(self.finetuning["training"]["seed"])

    def round_training(self, round_number: int, client: int) -> dict[str, Any]:
        """A client's training parameters for one round: its own shuffling seed, and the
        round's share of one learning-rate schedule over all rounds (warmup in the first,
        decay to the end of the last, as in a centralized run of rounds x local epochs)."""
        federated = self.finetuning["federated"]
        local_epochs, rounds = federated["local_epochs"], int(federated["rounds"])
        seed = self.seed + 1000 * round_number + client
        every = 10**9  # no evaluation or checkpoint inside a round
        return {
            **self.finetuning["training"],
            **_ROUND,
            "epochs": local_epochs,
            "seed": seed,
            "eval_every": every,
            "checkpoint_every": every,
            "schedule_window": ((round_number - 1) / rounds, round_number / rounds),
        }


def build_model(spec: FederationSpec) -> tuple[nn.Module, Any, int]:
    """The classifier with the strategy applied, its tokenizer and its maximum length."""
    tokenizer = ModelRef(spec.base).tokenizer()
    dropout = spec.finetuning.get("dropout")
    model = build_classifier(spec.base, list(spec.classes), seed=spec.seed, dropout=dropout)
    ensure_padding(model, tokenizer)
    end_on_the_last_text_token(model, tokenizer)
    max_length = effective_max_length(model, spec.settings.max_length)
    return apply_strategy(model, spec.settings), tokenizer, max_length


def shared_state(model: nn.Module) -> dict[str, torch.Tensor]:
    """The trainable weights, by name: what a client sends and the server averages."""
    return {
        name: parameter.detach().cpu().clone()
        for name, parameter in model.named_parameters()
        if parameter.requires_grad
    }


def load_shared(model: nn.Module, state: dict[str, torch.Tensor]) -> None:
    """Overwrite the trainable weights with `state` (the same names, or a clear error)."""
    parameters = dict(model.named_parameters())
    expected = {name for name, p in parameters.items() if p.requires_grad}
    if set(state) != expected:
        missing, unexpected = sorted(expected - set(state)), sorted(set(state) - expected)
        raise ValueError(
            f"federated weights do not match the model: missing {missing[:5]}, "
            f"unexpected {unexpected[:5]} (were server and clients built from the same "
            "base model and strategy?)"
        )
    with torch.no_grad():
        for name, value in state.items():
            parameters[name].copy_(value.to(parameters[name].device))
