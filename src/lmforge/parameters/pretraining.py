"""The parameter block of the `pretraining` pipeline (types; defaults in
conf/base/parameters_pretraining.yml)."""

from __future__ import annotations

from typing import Literal

from lmforge.modeling.train_config import TrainConfig
from lmforge.parameters import Strict, from_dataclass

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


class Pretraining(Strict):
    init_from: str
    objective: Literal["clm", "mlm"]
    tokenizer: Tokenizer
    model: Model
    data: Data
    training: Training


SETTINGS = {"pretraining": Pretraining}
