"""The parameter block of the `compression` pipeline (types; defaults in
conf/base/parameters_compression.yml)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from lmforge.parameters import Strict
from lmforge.parameters.finetuning import Training

VARIANTS = ("int8", "pruned", "distilled")
Variant = Literal["int8", "pruned", "distilled"]


class Measurement(Strict):
    rounds: int = Field(ge=1)
    batch_size: int = Field(ge=1)
    timing_texts: int = Field(ge=1)
    latency_texts: int = Field(ge=1)


class Pruning(Strict):
    keep_fraction: float = Field(gt=0, lt=1)  # of the encoder's (transformer layers') parameters
    score: Literal["magnitude", "taylor"]
    taylor_batches: int = Field(ge=1)
    recovery: Training


class Student(Strict):
    n_layers: int = Field(ge=1)
    d_ff: int | None = Field(default=..., ge=1)


class Distillation(Strict):
    student: Student
    temperature: float = Field(gt=0)
    alpha: float = Field(ge=0, le=1)
    max_unlabeled: int = Field(ge=0)
    training: Training


class Compression(Strict):
    variants: list[Variant] | Literal["all"]
    max_macro_f1_drop: float = Field(ge=0)
    measurement: Measurement
    pruning: Pruning
    distillation: Distillation


def enabled(compression: dict, variant: str) -> bool:
    """Whether `compression.variants` asks for `variant` (`all`: every one)."""
    chosen = compression["variants"]
    return chosen == "all" or variant in chosen


SETTINGS = {"compression": Compression}
