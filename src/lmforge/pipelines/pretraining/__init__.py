"""Tokenizer, packed tokens and language-model pretraining."""

from lmforge.pipelines.pretraining.pipeline import create_pipeline

__all__ = ["create_pipeline"]
