"""`dvc repro` / `dvc exp` / `dvc checkout` / `dvc push|pull` in a temporary git repository made
from the project, on the tiny configuration (KEDRO_ENV=test)."""

import json
import re
import shutil
import time
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from lmforge.tracking.lineage import path_md5
from tests.conftest import BIN, copy_project, run_command
from tests.e2e.conftest import tracking_uri

pytestmark = pytest.mark.e2e
ENV = {"KEDRO_ENV": "test"}
STAGES = ["data_processing", "pretraining", "finetuning", "evaluation", "compression"]


def git(repo: Path, *args: str) -> str:
    return run_command(["git", *args], repo).stdout


def dvc(repo: Path, *args: str) -> str:
    result = run_command([str(BIN / "dvc"), *args], repo, env=ENV, timeout=400)
    return result.stdout + result.stderr


def ran(output: str) -> list[str]:
    return re.findall(r"Running stage '(\w+)'", output)


def metrics(repo: Path) -> dict:
    return json.loads((repo / "data/08_reporting/metrics.json").read_text())


def pipeline_runs(repo: Path, pipeline: str = "evaluation") -> list:
    client = MlflowClient(tracking_uri(repo))
    experiment = client.get_experiment_by_name("lmforge").experiment_id
    return client.search_runs(
        [experiment],
        f"tags.pipeline_names = \"['{pipeline}']\"",
        order_by=["attributes.start_time ASC"],
    )


@pytest.fixture
def repo(tmp_path) -> Path:
    repo = copy_project(tmp_path / "repo")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "ci@lmforge.test")
    git(repo, "config", "user.name", "ci")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "project")
    dvc(repo, "remote", "modify", "--local", "local", "url", str(tmp_path / "remote"))
    return repo


# The longest test (3 min alone on 2 cores, 4–5 beside the other worker): its own limit, above
# the suite's 600 s, so a busy machine does not fail it.
@pytest.mark.timeout(1500)
def test_reproduce_change_compare_go_back_and_share(repo, tmp_path):
    # a fresh clone reproduces every output and writes dvc.lock
    assert ran(dvc(repo, "repro")) == STAGES
    lock = (repo / "dvc.lock").read_text()
    assert all(f"  {stage}:" in lock for stage in STAGES)
    first_metrics = metrics(repo)
    shared = (
        "data/06_models/classifier",
        "data/06_models/pretrained",
        "data/03_primary/train.parquet",
    )
    first_hashes = {path: path_md5(repo / path) for path in shared}
    # nothing changed: nothing runs
    second = dvc(repo, "repro")
    assert ran(second) == [] and "up to date" in second
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "first result")
    first_commit = git(repo, "rev-parse", "HEAD").strip()
    dvc(repo, "push")

    # the evaluation run alone carries what shaped the model and links the upstream runs
    (evaluation,) = pipeline_runs(repo)
    assert evaluation.data.params["pretraining.objective"] == "clm"
    assert evaluation.data.params["source.kind"] == "builtin"
    assert "finetuning.training.lr" in evaluation.data.params
    tags = evaluation.data.tags
    upstream_pretraining = tags["upstream.pretraining.run_id"]
    assert upstream_pretraining != evaluation.info.run_id
    assert tags["dvc.data/06_models/classifier.md5"].endswith(".dir")
    assert tags["git_commit"]

    # two experiments queued and run in parallel land in the project's one MLflow store; each
    # reruns exactly the stages its parameter change put out of date
    queued_experiments_log_into_the_project_store(repo)

    # the evaluation change, applied to the workspace: its metrics differ from the commit's
    dvc(repo, "exp", "apply", "weaker-baseline")
    diff = json.loads(dvc(repo, "metrics", "diff", "--json"))
    assert "tfidf_lr_macro_f1" in diff["data/08_reporting/metrics.json"]
    # the skipped stages are still represented by the runs that produced their outputs
    newest = pipeline_runs(repo)[-1]
    assert newest.data.params["evaluation.tfidf.C"] == "0.01"
    for stage in ("pretraining", "finetuning"):
        key = f"upstream.{stage}.run_id"
        assert newest.data.tags[key] == evaluation.data.tags[key]
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "weaker baseline")

    # a fine-tuning change puts fine-tuning out of date (and so what follows), not what precedes
    finetuning_params = repo / "conf/base/parameters_finetuning.yml"
    original = finetuning_params.read_text()
    assert "    lr: 1.0e-3\n" in original
    finetuning_params.write_text(original.replace("    lr: 1.0e-3\n", "    lr: 2.0e-3\n", 1))
    status = json.loads(dvc(repo, "status", "--json"))
    assert "finetuning" in status and not {"data_processing", "pretraining"} & set(status)
    finetuning_params.write_text(original)

    # a data parameter change puts the first stage out of date (and so all that follows)
    data_params = repo / "conf/base/parameters_data_processing.yml"
    original = data_params.read_text()
    data_params.write_text(original.replace("copies: 1", "copies: 2"))
    assert "data_processing" in json.loads(dvc(repo, "status", "--json"))
    data_params.write_text(original)

    # back to the first result's data and model
    assert metrics(repo) != first_metrics
    git(repo, "checkout", "-q", first_commit)
    dvc(repo, "checkout")
    assert metrics(repo) == first_metrics
    assert path_md5(repo / "data/06_models/classifier") == first_hashes["data/06_models/classifier"]

    # (that a rerun gives bit-identical weights is tested on the training loop itself:
    # tests/training/test_loop.py, a killed and resumed run against an uninterrupted one)

    # another clone gets the same files from the remote
    clone = tmp_path / "clone"
    run_command(["git", "clone", "-q", str(repo), str(clone)], tmp_path)
    git(clone, "checkout", "-q", first_commit)
    dvc(clone, "remote", "modify", "--local", "local", "url", str(tmp_path / "remote"))
    dvc(clone, "pull")
    assert metrics(clone) == first_metrics
    assert {path: path_md5(clone / path) for path in shared} == first_hashes
    shutil.rmtree(clone)


def queue_settled(repo: Path, timeout: float = 500) -> str:
    """Wait until DVC's queue has nothing queued or running; its last status."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = dvc(repo, "queue", "status")
        if not re.search(r"\b(Queued|Running)\b", status):
            return status
        time.sleep(3)
    raise AssertionError(f"the DVC queue did not settle:\n{status}")


def queued_experiments_log_into_the_project_store(repo: Path) -> None:
    """Two queued experiments, two workers: an evaluation change (a weaker TF-IDF baseline:
    reruns evaluation and compression) and a compression change (reruns the last stage only);
    both runs in the main store, both in `exp show`. (Before the store followed DVC's
    workspaces, queued experiments logged into copies that vanished.)"""
    before = len(pipeline_runs(repo, "compression"))
    changes = {
        "weaker-baseline": "conf/base/parameters_evaluation.yml:evaluation.tfidf.C=0.01",
        "looser-drop": "conf/base/parameters_compression.yml:compression.max_macro_f1_drop=0.03",
    }
    for name, change in changes.items():
        dvc(repo, "exp", "run", "--queue", "-n", name, "-S", change)
    dvc(repo, "queue", "start", "-j", "2")
    status = queue_settled(repo)
    assert status.count("Success") == 2, status
    assert ran(dvc(repo, "queue", "logs", "weaker-baseline")) == ["evaluation", "compression"]
    assert ran(dvc(repo, "queue", "logs", "looser-drop")) == ["compression"]
    runs = pipeline_runs(repo, "compression")
    assert len(runs) == before + 2
    drops = sorted(r.data.params["compression.max_macro_f1_drop"] for r in runs[-2:])
    assert drops == ["0.01", "0.03"]
    client = MlflowClient(tracking_uri(repo))
    assert all(client.list_artifacts(run.info.run_id) for run in runs[-2:])
    shown = json.loads(dvc(repo, "exp", "show", "--json"))
    assert any(entry.get("experiments") for entry in shown)
    assert all(text in json.dumps(shown) for text in ("0.03", "0.01", "macro_f1"))
