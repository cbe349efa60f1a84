"""Kedro runners on real distributed engines."""

from lmforge.runners.dask_runner import DaskRunner, NodeFailedError, local_cluster

__all__ = ["DaskRunner", "NodeFailedError", "local_cluster"]
