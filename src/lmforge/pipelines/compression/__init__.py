"""`compression`: distilled, pruned and int8 variants of the classifier, measured and registered."""

from lmforge.pipelines.compression.pipeline import create_pipeline

__all__ = ["create_pipeline"]
