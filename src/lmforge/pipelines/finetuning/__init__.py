"""Fine-tune a sequence classifier from the pretrained model."""

from lmforge.pipelines.finetuning.pipeline import create_pipeline

__all__ = ["create_pipeline"]
