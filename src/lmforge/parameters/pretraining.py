"""The parameter block of the `pretraining` pipeline (types; defaults in
conf/base/parameters_pretraining.yml)."""

from __future__ import annotations

from typing import Literal

from lmforge.parameters import Strict, from_dataclass, partial_model
from lmforge.parameters.finetuning import HeadWarmup
from lmforge.training.config import TrainConfig

Training = from_dataclass(TrainConfig, "Training")


class Tokenizer(Strict):
    vocab_size: int
    min_frequency: int
    lowercase: bool


class Model(Strict):
    n_layers: int
    d_model: int
    n_heads: int
    d_ff: int
    max_length: int
    dropout: float


class Data(Strict):
    seq_len: int
    pack_documents: bool
    val_fraction: float
    mask_probability: float
    eval_windows: int


class AutoCandidate(Strict):
    init_from: str
    scripts: list[str]


class PretrainingSettings(Strict):
    init_from: str
    objective: Literal["clm", "mlm", "electra"]
    tokenizer: Tokenizer
    model: Model
    data: Data
    head_warmup: HeadWarmup
    training: Training


CheckpointOverrides = partial_model(
    PretrainingSettings, "PretrainingCheckpointOverrides", leave_out=("init_from",)
)


class Pretraining(PretrainingSettings):
    auto_candidates: list[AutoCandidate]
    checkpoint_overrides: CheckpointOverrides  # type: ignore[valid-type]


def electra_from_scratch(params: dict) -> list[str]:
    """ELECTRA trains a generator and a discriminator from scratch: a checkpoint to continue
    (init_from other than scratch, with steps to run) has neither."""
    pretraining = params.get("pretraining") or {}
    init_from = pretraining.get("init_from", "scratch")
    steps = (pretraining.get("training") or {}).get("max_steps")
    if pretraining.get("objective") != "electra" or init_from == "scratch" or steps == 0:
        return []
    return [
        f"pretraining.objective: electra trains from scratch, not from init_from '{init_from}' "
        "(continue a checkpoint with objective mlm or clm, or use it as is with "
        "pretraining.training.max_steps=0)"
    ]


SETTINGS = {"pretraining": Pretraining}
CROSS_CHECKS = (electra_from_scratch,)
