"""Kedro project settings."""

from lmforge.context import ProjectContext
from lmforge.hooks import (
    CheckpointCleanupHook,
    DaskConfigHook,
    LineageHook,
    ParameterCheckHook,
    RunLockHook,
    UnloggedMetricsHook,
)
from lmforge.tracking.store import artifact_location, tracking_uri

CONTEXT_CLASS = ProjectContext  # parameter blocks stay dicts in the catalog (see its docstring)

HOOKS = (
    ParameterCheckHook(),
    RunLockHook(),
    LineageHook(),
    DaskConfigHook(),
    CheckpointCleanupHook(),
    UnloggedMetricsHook(),
)

CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    "config_patterns": {
        "dask": ["dask*", "dask*/**"],
    },
    # An environment (conf/test, conf/gpu, ...) overrides single nested keys of conf/base.
    "merge_strategy": {"parameters": "soft", "catalog": "soft"},
    # conf/base/mlflow.yml: the project's one MLflow store, also from DVC's queued experiments.
    "custom_resolvers": {
        "lmforge_tracking_uri": tracking_uri,
        "lmforge_artifact_location": artifact_location,
    },
}
