"""Project pipelines: one per folder under `pipelines/`, found by `find_pipelines()`."""

from __future__ import annotations

from kedro.framework.project import find_pipelines
from kedro.pipeline import Pipeline

DEFAULT_PIPELINES = ("data_processing", "pretraining", "finetuning", "evaluation", "compression")


def register_pipelines() -> dict[str, Pipeline]:
    """`__default__` chains data processing, pretraining, fine-tuning, evaluation and
    compression (the int8 variant by default); `inference` and `label_efficiency` run only
    when asked for."""
    pipelines = find_pipelines(raise_errors=True)
    pipelines["__default__"] = sum(
        (pipelines[name] for name in DEFAULT_PIPELINES if name in pipelines), Pipeline([])
    )
    return pipelines
