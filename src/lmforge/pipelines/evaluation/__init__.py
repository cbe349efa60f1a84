"""Evaluate the classifier against baselines, and register it."""

from lmforge.pipelines.evaluation.pipeline import create_pipeline

__all__ = ["create_pipeline"]
