"""The parameter blocks of the `evaluation` pipeline (types; defaults in
conf/base/parameters_evaluation.yml)."""

from __future__ import annotations

from lmforge.parameters import Strict


class Tfidf(Strict):
    C: float
    seed: int


class Evaluation(Strict):
    batch_size: int
    ece_bins: int
    latency_texts: int
    tfidf: Tfidf


class Registry(Strict):
    model_name: str
    alias: str
    metric: str
    min_improvement: float


SETTINGS = {"evaluation": Evaluation, "registry": Registry}
