"""Ingest, clean, validate, split and augment the corpus."""

from lmforge.pipelines.data_processing.pipeline import create_pipeline

__all__ = ["create_pipeline"]
