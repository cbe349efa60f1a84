"""`kedro run` in team mode, through a real tracking server on PostgreSQL: everything lands on
the server (not in the project's files), survives a server restart in the middle of the run,
and a run whose server or database is down stops with a clear error before any training."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import mlflow
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from lmforge.ports import free_port
from lmforge.team.services import TeamServices
from lmforge.tracking.preflight import TrackingStoreUnavailableError, check_tracking_store
from tests.conftest import BIN, project_env, run_command
from tests.team.conftest import make_team_project

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def team_project(team: TeamServices, tmp_path_factory) -> tuple[Path, dict[str, str]]:
    return make_team_project(tmp_path_factory.mktemp("team") / "project", team)


def first_training_metric(client: MlflowClient, process: subprocess.Popen, log: Path) -> str:
    """Wait for the pipeline run's first pretraining curve point; its run id."""
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()[-6000:]
        experiment = client.get_experiment_by_name("lmforge")
        if experiment:
            for run in client.search_runs([experiment.experiment_id]):
                if "pretraining.train_loss" in run.data.metrics:
                    return run.info.run_id
        time.sleep(0.2)
    raise AssertionError("no training metric reached the server")


def test_a_run_logs_through_the_server_and_survives_its_restart(team, team_project):
    project, env = team_project
    log = project / "team-run.log"
    process = subprocess.Popen(
        # the chain without the int8 variant's measurement, which has nothing to do with the server
        [
            str(BIN / "kedro"),
            "run",
            "--pipelines",
            "data_processing,pretraining,finetuning,evaluation",
        ],
        cwd=project,
        env=project_env(env),
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    client = MlflowClient(team.tracking_uri)
    run_id = first_training_metric(client, process, log)
    team.restart_tracking_server(down_s=2)  # while the run trains and logs
    assert process.poll() is None, "the run ended before the server restarted"
    assert process.wait(timeout=400) == 0, log.read_text()[-6000:]

    run = client.get_run(run_id)
    assert run.info.status == "FINISHED"
    assert run.data.params["source.kind"] == "builtin"
    assert run.data.params["registry.gate_lock"] == team.lock_uri
    assert {"test.macro_f1", "pretraining.final_val_perplexity"} <= set(run.data.metrics)
    # every curve point of the training run reached the server, across the restart
    for name, every, last in (("pretraining.train_loss", 5, 30), ("finetuning.train_loss", 5, 0)):
        steps = sorted(m.step for m in client.get_metric_history(run_id, name))
        assert steps == list(range(every, (last or steps[-1]) + 1, every)), (name, steps)
    # artifacts went through the server into its artifact store, not the project
    assert {"metrics.json", "pretrained_model"} <= {a.path for a in client.list_artifacts(run_id)}
    assert any((team.state_dir / "artifacts").rglob("metrics.json"))
    assert not any((project / "mlruns").rglob("metrics.json"))
    # the registry and the champion, served from the server
    version = client.get_model_version_by_alias("lmforge-classifier", "champion")
    assert version.run_id == run_id
    assert "lmforge.promotion" in version.tags
    mlflow.set_tracking_uri(team.tracking_uri)
    model = mlflow.pyfunc.load_model("models:/lmforge-classifier@champion")
    predictions = model.predict(pd.DataFrame({"text": ["great phone", "屏幕很差，不推荐"]}))
    assert len(predictions) == 2 and predictions["label"].notna().all()


def test_an_unreachable_server_is_named_before_anything_runs():
    uri = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(TrackingStoreUnavailableError, match=r"unreachable.*make services"):
        check_tracking_store(uri, timeout=5)


def test_a_database_down_stops_the_run_before_training(team, team_project):
    project, env = team_project
    team.stop_postgres()
    try:
        started = time.monotonic()
        result = run_command([str(BIN / "kedro"), "run"], project, env, timeout=120, check=False)
        took = time.monotonic() - started
    finally:
        team.start_postgres()
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "answers, but not its database" in output, output[-4000:]
    assert "Completed node" not in output and took < 60
