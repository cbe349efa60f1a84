"""Kedro datasets for lmforge's artifacts (the catalog does the I/O, not the nodes)."""

from lmforge.datasets.hf import HFModelDataset, HFTokenizerDataset
from lmforge.datasets.mlflow_run import MlflowRunAnnotationsDataset, RegisteredClassifierDataset
from lmforge.datasets.text import TabularTextDataset, TextCorpusDataset
from lmforge.datasets.tokens import PackedTokensDataset, TokenStream

__all__ = [
    "HFModelDataset",
    "HFTokenizerDataset",
    "MlflowRunAnnotationsDataset",
    "PackedTokensDataset",
    "RegisteredClassifierDataset",
    "TabularTextDataset",
    "TextCorpusDataset",
    "TokenStream",
]
