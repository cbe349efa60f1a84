"""`DaskRunner`: a Kedro runner that runs each node as a task on a Dask distributed cluster.

    kedro run --runner lmforge.runners.DaskRunner --env dask
    kedro run --runner lmforge.runners.DaskRunner --runner-params "address=tcp://sched:8786"

Nodes tagged `gpu` are submitted with `resources={"GPU": 1}`, so the scheduler places them only
on workers started with `--resources "GPU=1"`; every other node runs on any worker. A node is
submitted with its upstream nodes' futures as arguments, so Dask respects the DAG; data moves
between nodes through the catalog's files: on a real cluster the project folder must be at the
same path on every worker (a shared filesystem), as tasks run from it. Each task
joins the driver's MLflow run by id, so one pipeline run stays one row in the MLflow UI.

The scheduler address comes from `address=`, else `DASK_SCHEDULER_ADDRESS`, else
`conf/<env>/dask.yml`; with none, a local cluster is started from that file's `local_cluster`.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from graphlib import TopologicalSorter
from typing import Any

import mlflow
from distributed import (
    Client,
    Future,
    Nanny,
    Scheduler,
    SpecCluster,
    Worker,
    as_completed,
    get_worker,
)
from kedro.framework.hooks.manager import _create_hook_manager
from kedro.pipeline import Pipeline
from kedro.pipeline.node import Node
from kedro.runner import AbstractRunner
from kedro.runner.task import Task

from lmforge.runners.dask_settings import DASK_SETTINGS

logger = logging.getLogger(__name__)

GPU_TAG = "gpu"
GPU_RESOURCE = "GPU"
LOOPBACK = "127.0.0.1"  # the local cluster is reachable from this machine only


class NodeFailedError(RuntimeError):
    """A node raised on a worker; the message names the node, the cause keeps the traceback."""


def local_cluster(
    cpu_workers: int = 1,
    gpu_workers: int = 1,
    threads_per_worker: int = 1,
    processes: bool = True,
    **kwargs: Any,
) -> SpecCluster:
    """A cluster on this machine with `gpu_workers` workers declaring the GPU resource (one
    each) and `cpu_workers` plain workers, like the GPU and CPU pools of a real deployment.
    Scheduler, workers and nannies listen on 127.0.0.1 only (Dask has no authentication
    without TLS: see docs/scale-out.md)."""
    worker_class = Nanny if processes else Worker
    options = {"nthreads": threads_per_worker, "host": LOOPBACK}
    workers = {
        f"cpu-{i}": {"cls": worker_class, "options": dict(options)} for i in range(cpu_workers)
    }
    workers.update(
        {
            f"gpu-{i}": {
                "cls": worker_class,
                "options": {**options, "resources": {GPU_RESOURCE: 1}},
            }
            for i in range(gpu_workers)
        }
    )
    scheduler = {"cls": Scheduler, "options": {"dashboard_address": None, "host": LOOPBACK}}
    return SpecCluster(workers=workers, scheduler=scheduler, **kwargs)


@contextmanager
def _joined_mlflow_run(tracking_uri: str | None, run_id: str | None) -> Iterator[None]:
    """Log into the driver's run from this worker, leaving it RUNNING for the driver to end."""
    if not run_id:
        yield
        return
    if tracking_uri:
        mlflow.set_tracking_uri(tracking_uri)
    mlflow.start_run(run_id=run_id)
    try:
        yield
    finally:
        mlflow.end_run(status="RUNNING")


def run_node_on_worker(
    node: Node,
    catalog: Any,
    run_id: str | None,
    project_dir: str,
    tracking_uri: str | None,
    mlflow_run_id: str | None,
    *upstream: str,
) -> str:
    """What one Dask task does: load the node's inputs, run it, save its outputs — from the
    project folder, as `kedro run` would (the catalog's paths are relative to it). Once the
    outputs are saved, the checkpoints of the training runs it finished are deleted, as
    `CheckpointCleanupHook` does after a local run; after a failure they stay for a rerun."""
    from lmforge.training.finished import clearing_checkpoints_finished_inside

    os.chdir(project_dir)
    with clearing_checkpoints_finished_inside(), _joined_mlflow_run(tracking_uri, mlflow_run_id):
        Task(
            node=node,
            catalog=catalog,
            hook_manager=_create_hook_manager(),
            is_async=False,
            run_id=run_id,
        ).execute()
    return get_worker().address


class DaskRunner(AbstractRunner):
    """Runs a Kedro pipeline on a Dask distributed cluster, pinning `gpu` nodes to GPU workers."""

    def __init__(
        self, address: str | None = None, is_async: bool = False, gpu_tag: str = GPU_TAG
    ) -> None:
        super().__init__(is_async=is_async)
        self._address = address
        self._gpu_tag = gpu_tag
        self.node_workers: dict[str, str] = {}

    def _get_executor(self, max_workers: int) -> None:
        return None  # the Dask client is the executor

    @contextmanager
    def _client(self) -> Iterator[Client]:
        address = (
            self._address
            or os.environ.get("DASK_SCHEDULER_ADDRESS")
            or DASK_SETTINGS.get("address")
        )
        if address:
            with Client(address) as client:
                yield client
            return
        with (
            local_cluster(**DASK_SETTINGS.get("local_cluster", {})) as cluster,
            Client(cluster) as client,
        ):
            logger.info("Started a local Dask cluster: %s", cluster.scheduler_address)
            yield client

    def _resources(self, node: Node) -> dict[str, float] | None:
        return {GPU_RESOURCE: 1} if self._gpu_tag in node.tags else None

    def _run(
        self, pipeline: Pipeline, catalog: Any, hook_manager: Any = None, run_id: str | None = None
    ) -> None:
        active = mlflow.active_run()
        mlflow_run_id = active.info.run_id if active else None
        tracking_uri = mlflow.get_tracking_uri() if active else None
        dependencies = pipeline.node_dependencies
        order = list(TopologicalSorter({n: dependencies[n] for n in pipeline.nodes}).static_order())
        with self._client() as client:
            futures: dict[Node, Future] = {}
            for node in order:
                self._before_node(hook_manager, node, catalog, run_id)
                upstream = [futures[n] for n in dependencies[node]]
                futures[node] = client.submit(
                    run_node_on_worker,
                    node,
                    catalog,
                    run_id,
                    os.getcwd(),
                    tracking_uri,
                    mlflow_run_id,
                    *upstream,
                    key=f"{node.name}-{uuid.uuid4().hex[:8]}",
                    pure=False,
                    resources=self._resources(node),
                    retries=0,
                )
            by_key = {future.key: node for node, future in futures.items()}
            for future in as_completed(list(futures.values())):
                node = by_key[future.key]
                if future.status == "error":
                    self._fail(client, futures, node, future, hook_manager, catalog)
                self.node_workers[node.name] = future.result()
                self._after_node(hook_manager, node, catalog)
                logger.info("Completed node %s on %s", node.name, self.node_workers[node.name])
        self._tag_placement(mlflow_run_id)

    def _fail(
        self,
        client: Client,
        futures: dict[Node, Future],
        node: Node,
        future: Future,
        hook_manager: Any,
        catalog: Any,
    ) -> None:
        error = future.exception()
        client.cancel([f for f in futures.values() if not f.done()])
        if hook_manager is not None:
            hook_manager.hook.on_node_error(
                error=error, node=node, catalog=catalog, inputs={}, is_async=False, run_id=None
            )
        cause = _root_cause(futures, node)
        raise NodeFailedError(
            f"Node '{cause.name}' failed on the Dask cluster: {type(error).__name__}: {error}"
        ) from error

    @staticmethod
    def _before_node(hook_manager: Any, node: Node, catalog: Any, run_id: str | None) -> None:
        """Driver-side: the node's parameters go through `before_node_run` (kedro-mlflow logs
        them there); data hooks do not run on workers."""
        if hook_manager is None:
            return
        params = {
            name: catalog.load(name)
            for name in node.inputs
            if name.startswith("params:") or name == "parameters"
        }
        hook_manager.hook.before_node_run(
            node=node, catalog=catalog, inputs=params, is_async=False, run_id=run_id
        )

    @staticmethod
    def _after_node(hook_manager: Any, node: Node, catalog: Any) -> None:
        if hook_manager is None:
            return
        for name in node.inputs:
            if not name.startswith("params:"):
                hook_manager.hook.after_dataset_loaded(dataset_name=name, data=None, node=node)

    def _tag_placement(self, mlflow_run_id: str | None) -> None:
        if mlflow_run_id and self.node_workers:
            client = mlflow.tracking.MlflowClient()
            for name, address in self.node_workers.items():
                client.set_tag(mlflow_run_id, f"dask.worker.{name}", address)


def _root_cause(futures: dict[Node, Future], failed: Node) -> Node:
    """The earliest node in error (`futures` is in topological order): dependents of a failed
    node fail with the same error."""
    return next((node for node, future in futures.items() if future.status == "error"), failed)
