"""The parameter blocks of the `data_processing` pipeline (types; defaults in
conf/base/parameters_data_processing.yml)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from annotated_types import Interval

from lmforge.data.builtin import BuiltinConfig
from lmforge.parameters import Strict, from_dataclass

Builtin = from_dataclass(BuiltinConfig, "Builtin")


class Source(Strict):
    kind: Literal["builtin", "file", "huggingface"]
    path: str | list[str] | None
    text_column: str
    label_column: str | None
    split_column: str | None
    unlabeled_path: str | list[str] | None
    label_names: dict[Any, str] | None
    seed: int
    builtin: Builtin


class Cleaning(Strict):
    min_chars: int
    max_chars: int
    min_tokens: int
    max_tokens: int
    labels: list[Any] | None
    min_label_count: int
    rare_label_ratio: float
    label_aliases: dict[str, str] | None


class Validation(Strict):
    max_reject_fraction: float


class Split(Strict):
    ratios: dict[Literal["train", "validation", "test"], float]
    train_label_budget: int | None
    seed: int


class Augmentation(Strict):
    enabled: bool
    copies: int
    delete_prob: float
    swap_prob: float
    insert_prob: float
    seed: int
    max_labeled_rows: Annotated[int, Interval(ge=1)] | None


class Reporting(Strict):
    rejected_sample_per_reason: int


SETTINGS = {
    "source": Source,
    "cleaning": Cleaning,
    "validation": Validation,
    "split": Split,
    "augmentation": Augmentation,
    "reporting": Reporting,
}
