"""The parameter blocks of the `evaluation` pipeline (types; defaults in
conf/base/parameters_evaluation.yml, and the registry's in conf/base/parameters_registry.yml)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from lmforge.parameters import Strict


class Tfidf(Strict):
    C: float
    seed: int


class Evaluation(Strict):
    batch_size: int
    ece_bins: int
    latency_texts: int
    tfidf: Tfidf


class Serving(Strict):
    max_rows: int = Field(ge=1)
    max_text_chars: int = Field(ge=1)


class Registry(Strict):
    model_name: str
    alias: str
    metric: str
    min_improvement: float
    promote: Literal["gate", "force"]
    baseline_gate: bool
    baseline_margin: float
    serving: Serving
    gate_lock: str | None


SETTINGS = {"evaluation": Evaluation, "registry": Registry}
