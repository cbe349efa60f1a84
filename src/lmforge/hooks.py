"""Project hooks: tag every MLflow run with its git commit and the hashes of what it read."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from kedro.framework.hooks import hook_impl

from lmforge.tracking.lineage import dataset_path, dvc_lock_hashes, git_commit, path_md5

logger = logging.getLogger(__name__)


class LineageHook:
    """Names the active run (kedro-mlflow's) after what it trains (`tracking.run_name`) and
    tags it with `kedro.pipelines`, `git_commit`, `lineage.<dataset>.md5` for every
    file it loads, and `dvc.<path>.md5` for every output `dvc.lock` records (under `dvc repro`
    these are the hashes of the upstream stages' outputs this stage reads). Once the
    pretraining's starting point is chosen (`init_from: auto`), the run is renamed after it and
    tagged `lmforge.init_from` and `lmforge.init_from_reason`."""

    def __init__(self) -> None:
        self._catalog: Any = None
        self._hashed: set[str] = set()
        self._params: dict[str, Any] = {}
        self._pipelines: list[str] = []

    @hook_impl
    def after_catalog_created(self, catalog: Any) -> None:
        self._catalog = catalog
        self._hashed = set()

    @hook_impl(trylast=True)
    def before_pipeline_run(self, run_params: dict[str, Any], catalog: Any) -> None:
        import mlflow

        from lmforge.tracking.run_name import run_name

        if mlflow.active_run() is None:
            return
        names = run_params.get("pipeline_names") or ["__default__"]
        self._params, self._pipelines = catalog.load("parameters"), names
        mlflow.set_tags(
            {
                "mlflow.runName": run_name(self._params, names),
                "kedro.pipelines": "+".join(names),
            }
        )
        project = Path(run_params.get("project_path") or ".")
        commit = git_commit(project)
        tags = {
            f"dvc.{path}.md5": md5 for path, md5 in dvc_lock_hashes(project / "dvc.lock").items()
        }
        if commit:
            tags["git_commit"] = commit
        if tags:
            mlflow.set_tags(tags)

    @hook_impl
    def after_node_run(self, outputs: dict[str, Any]) -> None:
        import mlflow

        from lmforge.tracking.run_name import run_name

        choice = outputs.get("starting_point")
        if mlflow.active_run() is None or not choice:
            return
        pretraining = {**self._params.get("pretraining", {}), "init_from": choice["init_from"]}
        mlflow.set_tags(
            {
                "lmforge.init_from": choice["init_from"],
                "lmforge.init_from_reason": choice["reason"][:5000],
                "mlflow.runName": run_name(
                    {**self._params, "pretraining": pretraining}, self._pipelines
                ),
            }
        )

    @hook_impl
    def after_dataset_loaded(self, dataset_name: str) -> None:
        import mlflow

        if mlflow.active_run() is None or self._catalog is None or dataset_name in self._hashed:
            return
        self._hashed.add(dataset_name)
        try:
            path = dataset_path(self._catalog.get(dataset_name))
        except Exception:  # a dataset without a local path has no file hash
            return
        digest = path_md5(path) if path is not None else None
        if digest:
            mlflow.set_tag(f"lineage.{dataset_name}.md5", digest)


class ParameterCheckHook:
    """Validates the run's whole parameter tree against the pipelines' settings
    (`lmforge.parameters`) as soon as the context exists: a misspelled key stops the run before
    any node, naming the key, where it came from and the closest valid key."""

    @hook_impl
    def after_context_created(self, context: Any) -> None:
        from lmforge.parameters import check_parameters, parameter_origins

        loader = context.config_loader
        origins = parameter_origins(
            loader.conf_source, context.env or "local", getattr(loader, "runtime_params", None)
        )
        check_parameters(context.params, origins)


class TrackingStoreCheckHook:
    """With a tracking server (team mode), checks that it and its database answer before
    kedro-mlflow sets up the run (`lmforge.tracking.preflight`): a clear error, not minutes of
    training followed by MLflow's retries."""

    @hook_impl(tryfirst=True)
    def after_context_created(self, context: Any) -> None:
        from lmforge.tracking.preflight import check_tracking_store

        server = (context.config_loader["mlflow"] or {}).get("server") or {}
        check_tracking_store(server.get("mlflow_tracking_uri") or "")


class RunLockHook:
    """One `kedro run` per project folder (`lmforge.run_lock`): taken before anything else
    runs, released when the pipeline ends, with or without an error."""

    def __init__(self) -> None:
        self._lock: Any = None

    @hook_impl(tryfirst=True)
    def before_pipeline_run(self, run_params: dict[str, Any]) -> None:
        from lmforge.run_lock import RunLock

        self._lock = RunLock(Path(run_params.get("project_path") or "."))
        self._lock.acquire()

    @hook_impl
    def after_pipeline_run(self) -> None:
        self._release()

    @hook_impl
    def on_pipeline_error(self) -> None:
        self._release()

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None


class CheckpointCleanupHook:
    """Deletes the checkpoints of finished training runs once the pipeline's outputs (the
    models) are saved; after a failure they stay, so a rerun resumes."""

    @hook_impl
    def after_pipeline_run(self) -> None:
        from lmforge.training.finished import clear_finished_checkpoints

        clear_finished_checkpoints()


class UnloggedMetricsHook:
    """Training curves the MLflow store refused even after retries are reported here, once
    every output (the models included) is saved: a clear error, nothing lost but the curves."""

    @hook_impl(trylast=True)
    def after_pipeline_run(self) -> None:
        from lmforge.tracking.mlflow_logging import raise_if_unlogged

        raise_if_unlogged()


class DaskConfigHook:
    """Hands `conf/<env>/dask.yml` (key `dask`) to `lmforge.runners.DaskRunner`."""

    @hook_impl
    def after_context_created(self, context: Any) -> None:
        from kedro.config import MissingConfigException

        from lmforge.runners.dask_settings import configure

        try:
            settings = context.config_loader["dask"]
        except (MissingConfigException, KeyError):
            settings = {}
        configure(settings.get("dask", {}) if settings else {})
