"""Score a file with the champion model from the MLflow registry."""

from lmforge.pipelines.inference.pipeline import create_pipeline

__all__ = ["create_pipeline"]
