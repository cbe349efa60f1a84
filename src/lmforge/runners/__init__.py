"""Kedro runners on real distributed engines (imported on first use: Dask is heavy)."""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["DaskRunner", "NodeFailedError", "local_cluster"]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.dask_runner"), name)
