"""Kedro datasets for lmforge's artifacts (the catalog does the I/O, not the nodes).

The classes are imported on first use (`lmforge.datasets.HFModelDataset` in the catalog
imports `lmforge.datasets.hf` only), so a pipeline that needs no model never imports torch."""

from __future__ import annotations

import importlib
from typing import Any

MODULE_OF = {
    "FigureDataset": "figure",
    "HFModelDataset": "hf",
    "HFTokenizerDataset": "hf",
    "MlflowRunAnnotationsDataset": "mlflow_run",
    "RegisteredClassifierDataset": "mlflow_run",
    "RegisteredVariantsDataset": "mlflow_run",
    "PackedTokensDataset": "tokens",
    "TokenStream": "tokens",
    "TabularTextDataset": "text",
    "TextCorpusDataset": "text",
}
__all__ = sorted(MODULE_OF)


def __getattr__(name: str) -> Any:
    if name not in MODULE_OF:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{MODULE_OF[name]}"), name)
