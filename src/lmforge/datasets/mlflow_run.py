"""Catalog entries that write to MLflow: the model registration and run annotations."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import mlflow
from kedro.io import AbstractDataset, DatasetError
from mlflow.tracking import MlflowClient
from mlflow.utils.validation import MAX_PARAM_VAL_LENGTH

from lmforge.tracking.registry import (
    ClassifierCandidate,
    VariantCandidate,
    register,
    register_variant,
)


def _require_run(what: str) -> None:
    if mlflow.active_run() is None:
        raise DatasetError(
            f"Registering {what} needs an active MLflow run "
            "(kedro-mlflow starts one for every `kedro run`)"
        )


class RegisteredClassifierDataset(AbstractDataset):
    """Saving a `ClassifierCandidate` logs it as a pyfunc model into the active run, registers
    it and applies the champion gate; the outcome is also written to `filepath` as JSON."""

    def __init__(self, filepath: str, metadata: dict[str, Any] | None = None) -> None:
        self._filepath = Path(filepath)
        self.metadata = metadata

    def _write(self, outcome: Any) -> None:
        self._filepath.parent.mkdir(parents=True, exist_ok=True)
        self._filepath.write_text(json.dumps(outcome, indent=2, ensure_ascii=False))

    def save(self, data: ClassifierCandidate) -> None:
        _require_run("the classifier")
        self._write({"model_name": data.model_name, "alias": data.alias, **asdict(register(data))})

    def load(self) -> dict[str, Any]:
        return json.loads(self._filepath.read_text())

    def _exists(self) -> bool:
        return self._filepath.is_file()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath)}


class RegisteredVariantsDataset(RegisteredClassifierDataset):
    """Saving a list of `VariantCandidate`s registers each compressed variant under the
    teacher's model name and moves its own alias when it passes; the outcomes go to
    `filepath` as a JSON list."""

    def save(self, data: list[VariantCandidate]) -> None:
        if data:
            _require_run("compressed variants")
        self._write(
            [
                {"variant": c.variant, "model_name": c.model_name, "alias": c.alias}
                | asdict(register_variant(c))
                for c in data
            ]
        )


class MlflowRunAnnotationsDataset(AbstractDataset):
    """Saving `{"params": {...}, "tags": {...}}` adds them to the active run. A parameter
    the run already has is left alone (MLflow forbids changing it)."""

    def __init__(self, metadata: dict[str, Any] | None = None) -> None:
        self.metadata = metadata

    def save(self, data: dict[str, dict[str, Any]]) -> None:
        run = mlflow.active_run()
        if run is None:
            return
        client = MlflowClient()
        existing = client.get_run(run.info.run_id).data.params
        params = {
            k: str(v)[:MAX_PARAM_VAL_LENGTH]
            for k, v in data.get("params", {}).items()
            if k not in existing
        }
        if params:
            mlflow.log_params(params)
        tags = {k: str(v) for k, v in data.get("tags", {}).items() if v is not None}
        if tags:
            mlflow.set_tags(tags)

    def load(self) -> dict[str, Any]:
        raise DatasetError(f"{self.__class__.__name__} is write-only")

    def _describe(self) -> dict[str, Any]:
        return {}
