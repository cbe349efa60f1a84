"""The project hooks on a real MLflow store and a real Kedro catalog."""

import hashlib

import mlflow
import pandas as pd
from kedro.io import DataCatalog, MemoryDataset
from kedro_datasets.pandas import CSVDataset

from lmforge.hooks import LineageHook
from tests.conftest import empty_mlflow_store
from tests.pipelines.conftest import load_parameters


def test_lineage_hook_names_the_run_and_hashes_what_it_reads(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    mlflow.set_tracking_uri(empty_mlflow_store(tmp_path / "mlflow.db", tmp_path / "mlruns"))
    path = tmp_path / "train.csv"
    pd.DataFrame({"text": ["好", "bad"], "label": ["positive", "negative"]}).to_csv(path)
    catalog = DataCatalog(
        {
            "train": CSVDataset(filepath=str(path)),
            "parameters": MemoryDataset(load_parameters("test")),
        }
    )
    hook = LineageHook()
    experiment = mlflow.create_experiment("hooks", artifact_location=str(tmp_path / "art"))
    with mlflow.start_run(experiment_id=experiment) as run:
        hook.after_catalog_created(catalog)
        hook.before_pipeline_run(
            {"project_path": str(tmp_path), "pipeline_names": ["finetuning"]}, catalog
        )
        hook.after_dataset_loaded("train")
        hook.after_dataset_loaded("parameters")  # no file behind it: no tag
    tags = mlflow.get_run(run.info.run_id).data.tags
    assert tags["mlflow.runName"] == "clm 1x32 · full · builtin · finetuning"
    assert tags["kedro.pipelines"] == "finetuning"
    assert tags["lineage.train.md5"] == hashlib.md5(path.read_bytes()).hexdigest()
    assert "lineage.parameters.md5" not in tags


def test_lineage_hook_names_the_run_after_the_chosen_starting_point(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    mlflow.set_tracking_uri(empty_mlflow_store(tmp_path / "mlflow.db", tmp_path / "mlruns"))
    params = load_parameters("test")
    params["pretraining"]["init_from"] = "auto"
    catalog = DataCatalog({"parameters": MemoryDataset(params)})
    hook = LineageHook()
    choice = {"init_from": "pkg://embedding/m3e-small", "reason": "auto: m3e-small covers it"}
    experiment = mlflow.create_experiment("hooks", artifact_location=str(tmp_path / "art"))
    with mlflow.start_run(experiment_id=experiment) as run:
        hook.after_catalog_created(catalog)
        hook.before_pipeline_run({"project_path": str(tmp_path)}, catalog)
        assert mlflow.get_run(run.info.run_id).data.tags["mlflow.runName"].startswith("auto · ")
        hook.after_node_run({"pretraining_settings": {}, "starting_point": choice})
    tags = mlflow.get_run(run.info.run_id).data.tags
    assert tags["mlflow.runName"] == "m3e-small · full · builtin"
    assert tags["lmforge.init_from"] == choice["init_from"]
    assert tags["lmforge.init_from_reason"] == choice["reason"]
