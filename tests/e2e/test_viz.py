import json

import pytest

from tests.conftest import BIN, run_command

pytestmark = pytest.mark.e2e


def test_kedro_viz_builds_the_dag(project):
    run_command([str(BIN / "kedro"), "viz", "build"], project, timeout=120)
    graph = json.loads((project / "build" / "api" / "main").read_text())
    assert {p["id"] for p in graph["pipelines"]} >= {
        "__default__",
        "data_processing",
        "pretraining",
        "finetuning",
        "evaluation",
        "inference",
    }
    names = {n["name"] for n in graph["nodes"]}
    assert {"pretrain_language_model", "finetune_classifier", "register_classifier"} <= names
    tags = {t["id"] for t in graph["tags"]}
    assert "gpu" in tags
