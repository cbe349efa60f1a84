"""In-memory Kedro catalogs for pipeline slices, with the project's real parameters."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from kedro.io import AbstractDataset, DataCatalog, MemoryDataset
from kedro.pipeline import Pipeline
from kedro.runner import SequentialRunner

from lmforge.training.finished import clear_finished_checkpoints

CONF = Path(__file__).resolve().parents[2] / "conf"


def load_parameters(env: str | None = None) -> dict[str, Any]:
    """conf/base parameters, soft-merged with an environment's, as `kedro run --env` loads them
    (the project's own config loader settings, globals resolved)."""
    from kedro.config import OmegaConfigLoader

    from lmforge.settings import CONFIG_LOADER_ARGS

    loader = OmegaConfigLoader(conf_source=str(CONF), env=env or "local", **CONFIG_LOADER_ARGS)
    return copy.deepcopy(dict(loader["parameters"]))


def _merge(into: dict, update: dict) -> None:
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = copy.deepcopy(value)


class KeptMemoryDataset(MemoryDataset):
    """A MemoryDataset the runner cannot release, so a test can read every output after."""

    def release(self) -> None:
        return None


def parameter_datasets(params: dict[str, Any]) -> dict[str, MemoryDataset]:
    """`params:<key>` and `params:<key>.<sub>` entries, as Kedro builds them."""
    datasets = {}

    def add(prefix: str, value: Any) -> None:
        datasets[f"params:{prefix}"] = MemoryDataset(copy.deepcopy(value), copy_mode="deepcopy")
        if isinstance(value, dict):
            for key, sub in value.items():
                add(f"{prefix}.{key}", sub)

    for key, value in params.items():
        add(key, value)
    return datasets


def run_in_memory(
    pipeline: Pipeline,
    params: dict[str, Any],
    inputs: dict[str, Any] | None = None,
    datasets: dict[str, AbstractDataset] | None = None,
) -> DataCatalog:
    """Run `pipeline` on MemoryDatasets, except `datasets` (real ones, where the I/O is the
    point); returns the catalog holding every output."""
    datasets = {**parameter_datasets(params), **(datasets or {})}
    for name, value in (inputs or {}).items():
        datasets[name] = KeptMemoryDataset(value, copy_mode="assign")
    for name in pipeline.datasets():
        datasets.setdefault(name, KeptMemoryDataset(copy_mode="assign"))
    catalog = DataCatalog(datasets=datasets)
    SequentialRunner().run(pipeline, catalog)
    clear_finished_checkpoints()  # the outputs are saved: as CheckpointCleanupHook does
    return catalog


@pytest.fixture
def params(tmp_path) -> dict[str, Any]:
    """The test configuration, its checkpoints in the test's own folder."""
    return {**load_parameters("test"), "checkpoint_root": str(tmp_path / "checkpoints")}


@pytest.fixture(scope="module")
def data_outputs():
    """The data pipeline's outputs on the test configuration (once per test module)."""
    from lmforge.pipelines.data_processing import create_pipeline as data_pipeline

    catalog = run_in_memory(data_pipeline(), load_parameters("test"))
    return {
        name: catalog.load(name)
        for name in ("train", "validation", "test", "pretrain_corpus", "label_map", "data_lineage")
    }


def corpus_batches(tmp_path: Path, frame: Any) -> Any:
    """`frame`'s text as the pretraining corpus dataset (`TextBatches`) reads it."""
    from lmforge.datasets.text import TextBatches

    frame.to_parquet(tmp_path / "corpus.parquet")
    return TextBatches(tmp_path / "corpus.parquet", "text", 256)
