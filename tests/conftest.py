"""Shared fixtures: a temporary copy of the project and a way to run its CLI commands."""

from __future__ import annotations

import atexit
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from lmforge.data.builtin import BuiltinConfig, generate_builtin_corpus
from lmforge.modeling.model import ModelConfig, build_language_model
from lmforge.modeling.tokenizer import train_tokenizer
from lmforge.training.packing import PackedTokens, write_packed_tokens
from lmforge.training.tasks import LanguageModelingTask, special_ids_of

pytest_plugins = ["tests.scheduling"]  # how the workers share the suite

PROJECT_ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
_COPIED = (
    "pyproject.toml",
    "README.md",
    "conf",
    "src",
    "data",
    "mlruns",
    "dvc.yaml",
    ".dvc",
    ".dvcignore",
    ".gitignore",
    ".telemetry",
)


def project_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for the project's commands: this venv first on PATH, no telemetry."""
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(
        {
            "KEDRO_DISABLE_TELEMETRY": "true",
            "DO_NOT_TRACK": "1",
            "PYTHONUNBUFFERED": "1",
            "TOKENIZERS_PARALLELISM": "false",
            "HF_HUB_OFFLINE": "1",
            "MLFLOW_ENABLE_ASYNC_LOGGING": "false",
        }
    )
    env.pop("KEDRO_ENV", None)
    env.update(extra or {})
    return env


_TEMPLATE_STORE: list[Path] = []  # one migrated empty store per test process


def empty_mlflow_store(db: Path, default_artifact_root: Path) -> str:
    """A new MLflow sqlite store at `db` (its URI), as MLflow would create it: copied from an
    empty store migrated once per process, since creating one runs MLflow's schema migrations
    (1-2 s each time). Its `Default` experiment keeps artifacts under `default_artifact_root`."""
    if not _TEMPLATE_STORE:
        from mlflow.tracking import MlflowClient

        folder = Path(tempfile.mkdtemp(prefix="lmforge-store-"))
        atexit.register(shutil.rmtree, folder, True)
        MlflowClient(f"sqlite:///{folder / 'mlflow.db'}").search_experiments()
        _TEMPLATE_STORE.append(folder / "mlflow.db")
    db.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_TEMPLATE_STORE[0], db)
    with sqlite3.connect(db) as connection:
        connection.execute(
            "UPDATE experiments SET artifact_location = ? WHERE experiment_id = 0",
            ((default_artifact_root / "0").as_uri(),),
        )
    connection.close()
    return f"sqlite:///{db}"


def copy_project(target: Path) -> Path:
    """The project's committed layout (code, conf, empty data layers) under `target`."""
    target.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in _COPIED:
        source = PROJECT_ROOT / name
        if source.is_dir():
            if name in ("data", "mlruns"):
                for keep in source.rglob(".gitkeep"):
                    destination = target / keep.relative_to(PROJECT_ROOT)
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    destination.touch()
            else:
                shutil.copytree(source, target / name, ignore=ignore, dirs_exist_ok=True)
        elif source.exists():
            shutil.copy2(source, target / name)
    local = target / "conf" / "local"
    local.mkdir(parents=True, exist_ok=True)
    empty_mlflow_store(target / "mlruns" / "mlflow.db", target / "mlruns")
    return target


def tiny_language_model(folder: Path, tokenizer) -> str:
    """A 1-layer, 32-wide GPT-2 and its tokenizer saved in `folder` (a pretrained model's
    shape, for fine-tuning tests), with the lineage of a model lmforge pretrained from scratch
    (so fine-tuning keeps its own settings); `tokenizer` is copied, never changed."""
    import copy
    import json

    from lmforge.modeling.model import ModelConfig, build_language_model
    from lmforge.modeling.side_files import LINEAGE_FILE

    tokenizer = copy.deepcopy(tokenizer)  # a GPT-2 classifier adjusts its tokenizer
    tiny = ModelConfig(n_layers=1, d_model=32, n_heads=2, d_ff=64, max_length=64, dropout=0.0)
    build_language_model("clm", tiny.to_hf("clm", tokenizer)).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    lineage = {"pretraining": {"params": {"pretraining": {"init_from": "scratch"}}}}
    (Path(folder) / LINEAGE_FILE).write_text(json.dumps(lineage))
    return str(folder)


def pretrained_project(workdir: Path, timeout: float = 3600) -> Path:
    """`workdir/project`: a copy of the project after a default
    `kedro run --pipelines data_processing,pretraining` (reused when already there)."""
    project = workdir / "project"
    if not (project / "data/06_models/pretrained/config.json").is_file():
        copy_project(project)
        start = time.perf_counter()
        command = [str(BIN / "kedro"), "run", "--pipelines", "data_processing,pretraining"]
        run_command(command, project, timeout=timeout)
        print(f"data_processing + pretraining: {(time.perf_counter() - start) / 60:.1f} min")
    return project


def primary_splits(project: Path) -> tuple:
    """The project's train, validation and test splits (data/03_primary)."""
    import pandas as pd

    data = project / "data/03_primary"
    return tuple(
        pd.read_parquet(data / f"{name}.parquet") for name in ("train", "validation", "test")
    )


def run_command(
    args: Sequence[str],
    cwd: Path,
    env: dict[str, str] | None = None,
    timeout: float = 300,
    check: bool = True,
) -> subprocess.CompletedProcess:
    result = subprocess.run(
        list(args), cwd=cwd, env=project_env(env), capture_output=True, text=True, timeout=timeout
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(args)} failed ({result.returncode}):\n"
            f"{result.stdout[-4000:]}\n{result.stderr[-8000:]}"
        )
    return result


def kedro_run(
    project: Path, *args: str, env_name: str = "test", check: bool = True, timeout: float = 300
) -> subprocess.CompletedProcess:
    return run_command(
        [str(BIN / "kedro"), "run", "--env", env_name, *args], project, timeout=timeout, check=check
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "project")


@pytest.fixture(scope="session")
def texts() -> list[str]:
    """600 clean builtin reviews, English and Chinese."""
    corpus = generate_builtin_corpus(BuiltinConfig(n_documents=600, dirty_fraction=0.0))
    return corpus["text"].tolist()


@pytest.fixture(scope="session")
def tokenizer(texts):
    """A tiny byte-level BPE tokenizer trained on `texts`."""
    return train_tokenizer(texts, vocab_size=400, model_max_length=64)


@pytest.fixture(autouse=True)
def _fresh_mlflow_state():
    """MLflow keeps the tracking URI and the active run in the process: a test that sets them
    must not leak them into the next test (whatever order a runner picks)."""
    yield
    if "mlflow" in sys.modules:
        import mlflow

        while mlflow.active_run() is not None:
            mlflow.end_run()
        mlflow.set_tracking_uri("")


# Tiny packed corpora and models for the model and training-loop tests.
TINY = ModelConfig(n_layers=1, d_model=32, n_heads=2, d_ff=64, max_length=64, dropout=0.0)


@pytest.fixture(scope="session")
def packed(tmp_path_factory, texts, tokenizer) -> PackedTokens:
    path = tmp_path_factory.mktemp("tokens") / "packed"
    ids = tokenizer(texts, add_special_tokens=False)["input_ids"]
    write_packed_tokens(path, [ids[:300], ids[300:]], len(tokenizer), tokenizer.sep_token_id)
    return PackedTokens(path)


def lm_task(packed, tokenizer, objective="mlm", seed=0) -> LanguageModelingTask:
    return LanguageModelingTask(
        packed,
        objective,
        special_ids_of(tokenizer),
        seq_len=32,
        seed=seed,
        val_fraction=0.05,
        eval_windows=16,
    )


def tiny_lm(tokenizer, objective="mlm", seed=0):
    return build_language_model(objective, TINY.to_hf(objective, tokenizer), seed)
