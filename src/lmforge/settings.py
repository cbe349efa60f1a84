"""Kedro project settings."""

from lmforge.context import ProjectContext
from lmforge.hooks import (
    CheckpointCleanupHook,
    DaskConfigHook,
    LineageHook,
    ParameterCheckHook,
    RunLockHook,
    TrackingStoreCheckHook,
    UnloggedMetricsHook,
)
from lmforge.team.services import team_setting
from lmforge.tracking.store import artifact_location, tracking_uri

CONTEXT_CLASS = ProjectContext  # parameter blocks stay dicts in the catalog (see its docstring)

HOOKS = (
    ParameterCheckHook(),
    TrackingStoreCheckHook(),
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
        "mlflow": ["mlflow*", "mlflow*/**", "**/mlflow*"],  # kedro-mlflow's patterns
    },
    # An environment (conf/test, conf/gpu, conf/team, ...) overrides single nested keys of
    # conf/base.
    "merge_strategy": {"parameters": "soft", "catalog": "soft", "mlflow": "soft"},
    # conf/base/mlflow.yml: the project's one MLflow store, also from DVC's queued experiments.
    "custom_resolvers": {
        "lmforge_tracking_uri": tracking_uri,
        "lmforge_artifact_location": artifact_location,
        "lmforge_team": team_setting,  # conf/team: where `make services` listens
    },
}
