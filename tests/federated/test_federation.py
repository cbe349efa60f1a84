"""Federated fine-tuning for real: Flower's SuperLink and one SuperNode per client as separate
processes on loopback, FedAvg over the shared training loop, the rounds in MLflow, the model
registered as federated — and a federation that fails says where its logs are and leaves no
process behind."""

import mlflow
import pandas as pd
import psutil
import pytest
from mlflow.tracking import MlflowClient

from lmforge.datasets import HFModelDataset
from lmforge.federated.apps import ROUNDS_FILE
from lmforge.federated.deployment import FederationError, run_federation
from lmforge.federated.weights import FederationSpec, build_model, shared_state
from lmforge.modeling.artifacts import ModelRef
from lmforge.pipelines.data_processing import create_pipeline as data_pipeline
from lmforge.pipelines.evaluation import nodes as evaluation_nodes
from lmforge.pipelines.finetuning import nodes as finetuning_nodes
from lmforge.tracking.registry import TRAINING_TAG, register
from tests.conftest import empty_mlflow_store, tiny_language_model
from tests.pipelines.conftest import load_parameters, run_in_memory


@pytest.fixture(scope="module")
def data():
    catalog = run_in_memory(data_pipeline(), load_parameters("test"))
    names = ("train", "validation", "test", "label_map", "data_lineage")
    return {name: catalog.load(name) for name in names}


@pytest.fixture
def base(tmp_path, tokenizer) -> ModelRef:
    return ModelRef(tiny_language_model(tmp_path / "lm", tokenizer))


def federated_params(**federated) -> dict:
    finetuning = load_parameters("test")["finetuning"]
    finetuning["federated"].update({"enabled": True, "clients": 2, "rounds": 2, **federated})
    return finetuning


def no_flower_processes_left() -> bool:
    names = " ".join(" ".join(p.cmdline()) for p in psutil.Process().children(recursive=True))
    return "flower-super" not in names and "flwr" not in names


def test_the_finetuning_node_trains_federated_logs_each_round_and_registers_it(
    tmp_path, base, data
):
    mlflow.set_tracking_uri(empty_mlflow_store(tmp_path / "mlflow.db", tmp_path / "mlruns"))
    experiment = mlflow.create_experiment("federated", artifact_location=str(tmp_path / "art"))
    finetuning = federated_params()
    with mlflow.start_run(experiment_id=experiment) as run:
        bundle, curves, _ = finetuning_nodes.finetune_classifier(
            base,
            data["train"],
            data["validation"],
            data["label_map"],
            data["data_lineage"],
            finetuning,
            None,
        )
        dataset = HFModelDataset(str(tmp_path / "classifier"))
        dataset.save(bundle)
        classifier = dataset.load()
        candidate = evaluation_nodes.registration_candidate(
            classifier,
            {"macro_f1": 0.5, "accuracy": 0.5, "val_macro_f1": 0.5, "tfidf_lr_val_macro_f1": 0.4},
            data["label_map"],
            data["test"],
            load_parameters("test")["registry"],
        )
        promotion = register(candidate)
    assert no_flower_processes_left()

    record = classifier.side_file("lmforge_lineage.json")["finetuning"]
    federation = record["federation"]
    assert record["training"] == "federated" and federation["rounds"] == 2
    assert sum(federation["client_rows"]) == len(data["train"])
    # the global model validated before the first round and after each
    assert curves["step"].tolist() == [0, 1, 2]
    assert curves["val_macro_f1"].notna().all() and curves["train_loss"].iloc[1:].notna().all()
    # the result is the best validated round's global model, as a centralized run restores
    scores = curves.set_index("step")["val_macro_f1"].loc[1:]
    chosen = record["summary"]["chosen_round"]
    assert chosen == scores.idxmax() and record["summary"]["last_val_macro_f1"] == scores.max()

    client = MlflowClient()
    history = client.get_metric_history(run.info.run_id, "federated.val_macro_f1")
    assert sorted(m.step for m in history) == [0, 1, 2]
    for i, rows in enumerate(federation["client_rows"]):
        counts = client.get_metric_history(run.info.run_id, f"federated.client_{i}.num_examples")
        assert [(m.step, m.value) for m in sorted(counts, key=lambda m: m.step)] == [
            (1, rows),
            (2, rows),
        ]
        assert client.get_metric_history(run.info.run_id, f"federated.client_{i}.train_loss")

    # the saved classifier is the trained global model, not the starting point
    spec = FederationSpec(base.location, list(data["label_map"]["classes"]), finetuning)
    start = shared_state(build_model(spec)[0])
    trained = dict(classifier.load_classifier().named_parameters())
    assert any(not trained[name].detach().equal(value) for name, value in start.items())

    assert candidate.training == "federated"
    version = client.get_model_version("lmforge-classifier", promotion.version)
    assert version.tags[TRAINING_TAG] == "federated"
    assert client.get_run(run.info.run_id).data.tags[TRAINING_TAG] == "federated"


def test_a_crashed_client_fails_the_round_names_the_logs_and_stops_every_process(
    tmp_path, base, data
):
    """Client 1 cannot read its rows: with every client required (the default) the round
    fails, the error carries the ServerApp's reason and where the logs are, and no Flower
    process is left."""
    finetuning = federated_params(rounds=1, timeout_minutes=5)
    spec = FederationSpec(base.location, list(data["label_map"]["classes"]), finetuning)
    data["validation"][["text", "label"]].to_parquet(tmp_path / "validation.parquet")
    data["train"][["text", "label"]].head(40).to_parquet(tmp_path / "rows.parquet")
    (tmp_path / "out").mkdir()
    run_config = {
        "spec": spec.to_json(),
        "validation-path": str(tmp_path / "validation.parquet"),
        "out-dir": str(tmp_path / "out"),
        "clients": 2,
    }
    clients = [
        {"partition-id": 0, "data-path": str(tmp_path / "rows.parquet")},
        {"partition-id": 1, "data-path": str(tmp_path / "nowhere.parquet")},
    ]
    with pytest.raises(FederationError, match=r"produced no model .* logs in .*logs") as error:
        run_federation(tmp_path, run_config, clients, "127.0.0.1", 300)
    assert "1 of 2 clients sent an update (no update from client(s) [1])" in str(error.value)
    assert "nowhere.parquet" in (tmp_path / "logs" / "supernode-1.log").read_text()
    assert no_flower_processes_left()
    assert pd.read_json(tmp_path / "out" / ROUNDS_FILE, typ="series")["clients"] == []
