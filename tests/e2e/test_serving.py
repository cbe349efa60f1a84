"""The served model, and comparing runs through the MLflow server's REST API."""

import urllib.error

import pytest
from mlflow.tracking import MlflowClient

from tests.conftest import kedro_run
from tests.e2e.conftest import Server, serve_champion, tracking_uri

pytestmark = pytest.mark.e2e


def refused(server: Server, payload: dict) -> tuple[int, str]:
    """The HTTP status and body of a request the server must refuse."""
    try:
        server.post("/invocations", payload)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    raise AssertionError("the request was accepted")


def test_mlflow_models_serve_answers_invocations(trained_project):
    with serve_champion(trained_project) as server:
        server.wait("/ping")
        answer = server.post(
            "/invocations",
            {
                "dataframe_split": {
                    "columns": ["text"],
                    "data": [["Great phone, I love it."], [""], ["很差，不推荐"]],
                }
            },
        )
        too_many = refused(
            server, {"dataframe_split": {"columns": ["text"], "data": [["ok"]] * 1001}}
        )
        negative = refused(
            server,
            {
                "dataframe_split": {"columns": ["text"], "data": [["ok"]]},
                "params": {"batch_size": -1},
            },
        )
    assert too_many[0] == 400 and "max_rows=1000" in too_many[1]
    assert negative[0] == 400 and "batch_size must be an integer >= 1" in negative[1]
    rows = answer["predictions"]
    assert len(rows) == 3
    assert rows[0]["label"] in {"negative", "neutral", "positive"}
    assert rows[1]["flag"] == "empty_text"
    assert set(rows[2]) >= {"prob_negative", "prob_neutral", "prob_positive"}


def test_two_runs_compare_in_the_mlflow_server_and_gate_the_champion(trained_project):
    # a fine-tuning change reruns the default pipeline from fine-tuning on
    change = ("--from-nodes", "finetune_classifier", "--params", "finetuning.training.lr=0.003")
    kedro_run(trained_project, *change)
    args = [
        "mlflow",
        "server",
        "--backend-store-uri",
        tracking_uri(trained_project),
        "--host",
        "127.0.0.1",
        "--workers",
        "1",
    ]
    # MLflow 3's job runner (GenAI jobs, a pool of huey consumers) is not needed to compare runs
    with Server(args, trained_project, {"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}) as server:
        server.wait("/health")
        found = server.post(
            "/api/2.0/mlflow/runs/search",
            {"experiment_ids": ["1"], "max_results": 10, "order_by": ["attributes.start_time ASC"]},
        )

    def pipelines(run):
        return {t["key"]: t["value"] for t in run["data"]["tags"]}.get("kedro.pipelines")

    runs = [r for r in found["runs"] if pipelines(r) == "__default__"]
    assert len(runs) == 2  # (the inference run is a third one)
    assert [r["info"]["run_name"] for r in runs] == ["clm 1x32 · full · builtin"] * 2
    params = [{p["key"]: p["value"] for p in r["data"]["params"]} for r in runs]
    metrics = [{m["key"]: m["value"] for m in r["data"]["metrics"]} for r in runs]
    assert params[0]["finetuning.training.lr"] == "0.001"
    assert params[1]["finetuning.training.lr"] == "0.003"
    assert all("test.macro_f1" in m and "test.no_pretrain_macro_f1" in m for m in metrics)
    tags = {t["key"]: t["value"] for t in runs[1]["data"]["tags"]}
    version = tags["lmforge.registered_version"]  # (other tests may register variants too)
    registered = MlflowClient(tracking_uri(trained_project)).get_model_version(
        "lmforge-classifier", version
    )
    assert registered.run_id == runs[1]["info"]["run_id"]
    better = metrics[1]["test.macro_f1"] >= metrics[0]["test.macro_f1"]
    assert tags["lmforge.promoted"] == str(better)
