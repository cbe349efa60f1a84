"""The whole pipeline under `lmforge.runners.DaskRunner` on a real local Dask cluster with two
workers, exactly one of which declares GPU=1."""

import shutil

import pytest
from distributed import Client
from mlflow.tracking import MlflowClient

from lmforge.runners import local_cluster
from tests.conftest import copy_project, kedro_run
from tests.e2e.conftest import tracking_uri

pytestmark = pytest.mark.e2e
GPU_NODES = {
    "pretrain_language_model",
    "finetune_classifier",
    "no_pretrain_baseline",
    "prune_classifier",
    "distill_student",
}


@pytest.fixture(scope="module")
def cluster():
    with local_cluster(cpu_workers=1, gpu_workers=1) as cluster, Client(cluster) as client:
        client.wait_for_workers(2, timeout=60)
        workers = client.scheduler_info()["workers"]
        gpu = {address for address, info in workers.items() if info["resources"].get("GPU")}
        yield cluster.scheduler_address, gpu, set(workers)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return copy_project(tmp_path_factory.mktemp("dask") / "project")


def default_pipeline():
    from kedro.framework.project import configure_project

    from lmforge.pipeline_registry import register_pipelines

    configure_project("lmforge")
    return register_pipelines()["__default__"]


def dask_run(project, address, *args, check=True):
    return kedro_run(
        project,
        "--runner",
        "lmforge.runners.DaskRunner",
        "--runner-params",
        f"address={address}",
        *args,
        check=check,
    )


def test_gpu_nodes_run_on_the_gpu_worker_and_log_into_one_run(cluster, project):
    address, gpu_workers, all_workers = cluster
    assert len(gpu_workers) == 1
    dask_run(project, address)
    assert (project / "data/08_reporting/metrics.json").exists()
    client = MlflowClient(tracking_uri(project))
    (run,) = client.search_runs([client.get_experiment_by_name("lmforge").experiment_id])
    assert run.info.status == "FINISHED"
    placement = {
        key.removeprefix("dask.worker."): value
        for key, value in run.data.tags.items()
        if key.startswith("dask.worker.")
    }
    assert len(placement) == len(default_pipeline().nodes)  # every node, each on a worker
    assert set(placement.values()) <= all_workers
    assert {placement[node] for node in GPU_NODES} == gpu_workers
    # logging from the workers landed in the driver's run
    assert "pretraining.val_loss" in run.data.metrics and "test.macro_f1" in run.data.metrics
    assert "pretraining.objective" in run.data.params  # parameters logged by the driver
    # the workers deleted the finished runs' checkpoints once the models were saved
    checkpoints = project / "data/06_models/checkpoints"
    assert {p.name for p in checkpoints.iterdir()} >= {"pretraining", "finetuning"}
    assert [p for p in checkpoints.glob("*/*") if p.is_dir()] == []


def test_a_failing_node_stops_the_run_and_leaves_no_output(cluster, project):
    address, _, _ = cluster
    shutil.rmtree(project / "data/06_models/pretrained", ignore_errors=True)
    result = dask_run(
        project,
        address,
        "--pipelines",
        "pretraining",
        "--params",
        "pretraining.init_from=/nonexistent/checkpoint",
        check=False,
    )
    assert result.returncode != 0
    output = " ".join((result.stdout + result.stderr).split())
    assert "Node 'build_tokenizer' failed on the Dask cluster" in output
    assert "/nonexistent/checkpoint" in output  # the original error travels
    assert not (project / "data/06_models/pretrained").exists()


def test_the_local_cluster_listens_on_loopback_only(cluster):
    address, _, workers = cluster
    assert address.startswith("tcp://127.0.0.1:")
    assert workers and all(worker.startswith("tcp://127.0.0.1:") for worker in workers)
