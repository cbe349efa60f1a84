"""Kedro project settings."""

from lmforge.hooks import DaskConfigHook, LineageHook, ParameterCheckHook

HOOKS = (ParameterCheckHook(), LineageHook(), DaskConfigHook())

CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    "config_patterns": {
        "dask": ["dask*", "dask*/**"],
    },
    # An environment (conf/test, conf/gpu, ...) overrides single nested keys of conf/base.
    "merge_strategy": {"parameters": "soft", "catalog": "soft"},
}
