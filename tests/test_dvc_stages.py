"""dvc.yaml is derived from the Kedro project: the committed file is what the command writes."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import yaml
from click.testing import CliRunner

from lmforge.cli import cli
from lmforge.dvc_stages import build_dvc_yaml, import_closure, render
from tests.conftest import PROJECT_ROOT


@pytest.fixture(scope="module")
def document():
    return build_dvc_yaml(PROJECT_ROOT)


def test_the_committed_dvc_yaml_is_the_generated_one(document):
    committed = (PROJECT_ROOT / "dvc.yaml").read_text(encoding="utf-8")
    assert committed == render(document), "dvc.yaml is stale: run `kedro lmforge dvc-sync`"


def covers(deps: list[str], path: str) -> bool:
    """`path` is a dependency, itself or through a folder that holds it."""
    return any(path == dep or path.startswith(f"{dep}/") for dep in deps)


def test_stages_follow_the_pipelines_catalog_and_imports(document):
    stages = document["stages"]
    assert list(stages) == [
        "data_processing",
        "pretraining",
        "finetuning",
        "evaluation",
        "compression",
    ]
    finetuning, evaluation = stages["finetuning"], stages["evaluation"]
    # What the nodes import, followed through the import graph (the drift this file replaces).
    assert covers(stages["pretraining"]["deps"], "src/lmforge/tracking/mlflow_logging.py")
    assert covers(finetuning["deps"], "src/lmforge/tracking/mlflow_logging.py")
    assert covers(finetuning["deps"], "src/lmforge/classification/finetune.py")
    assert not covers(stages["pretraining"]["deps"], "src/lmforge/classification/finetune.py")
    assert not covers(evaluation["deps"], "src/lmforge/pipelines/finetuning/nodes.py")
    assert not covers(stages["data_processing"]["deps"], "src/lmforge/training/loop.py")
    # Reads from the stage before it, writes what the catalog says.
    assert "data/06_models/pretrained" in finetuning["deps"]
    assert "data/06_models/no_pretrain_classifier" in finetuning["outs"]
    assert "data/06_models/no_pretrain_classifier" in evaluation["deps"]
    assert {"data/08_reporting/latency.json": {"cache": False}} in evaluation["outs"]
    assert finetuning["params"] == [
        {"conf/base/parameters.yml": ["checkpoint_root"]},
        {"conf/base/parameters_finetuning.yml": ["finetuning"]},
    ]
    assert not covers(stages["compression"]["deps"], "src/lmforge/pipelines/evaluation/nodes.py")
    assert "data/06_models/classifier" in stages["compression"]["deps"]
    assert document["metrics"] == [
        "data/08_reporting/metrics.json",
        "data/08_reporting/compression.json",
    ]
    # Every output has exactly one writer.
    outs = [o if isinstance(o, str) else next(iter(o)) for s in stages.values() for o in s["outs"]]
    assert len(outs) == len(set(outs))
    yaml.safe_load(render(document))


def test_import_closure_follows_lazy_and_relative_imports(tmp_path):
    package = tmp_path / "lmforge"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("def f():\n    from lmforge.sub import b\n")
    (package / "sub" / "__init__.py").write_text("")
    (package / "sub" / "b.py").write_text("from . import c\n")
    (package / "sub" / "c.py").write_text("import os\n")
    (package / "unused.py").write_text("")
    files = import_closure(tmp_path, {"lmforge.a"})
    names = sorted(p.relative_to(tmp_path).as_posix() for p in files)
    assert names == [
        "lmforge/__init__.py",
        "lmforge/a.py",
        "lmforge/sub/__init__.py",
        "lmforge/sub/b.py",
        "lmforge/sub/c.py",
    ]


def test_kedro_lmforge_dvc_sync_check(tmp_path):
    metadata = SimpleNamespace(project_path=PROJECT_ROOT)
    result = CliRunner().invoke(cli, ["lmforge", "dvc-sync", "--check"], obj=metadata)
    assert result.exit_code == 0, result.output
    assert "up to date" in result.output


def test_uncached_outputs_are_left_to_git(document):
    """DVC keeps a `cache: false` output in git: ignored there, a queued experiment's workspace
    (a git copy plus the cache) would lack it and rerun its stage every time."""
    import subprocess

    uncached = [
        path
        for stage in document["stages"].values()
        for out in stage.get("outs", [])
        if isinstance(out, dict)
        for path, options in out.items()
        if options.get("cache") is False
    ]
    assert "data/08_reporting/registration.json" in uncached
    ignored = subprocess.run(
        ["git", "check-ignore", *uncached], cwd=PROJECT_ROOT, capture_output=True, text=True
    )
    assert ignored.stdout.split() == []
