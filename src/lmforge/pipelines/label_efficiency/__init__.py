"""The label-efficiency curve: pretrained vs no pretraining vs TF-IDF at several label budgets."""

from lmforge.pipelines.label_efficiency.pipeline import create_pipeline

__all__ = ["create_pipeline"]
