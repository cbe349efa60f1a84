"""Hugging Face folders in the catalog: tokenizers and models (saved whole, loaded lazily)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from kedro.io import AbstractDataset, DatasetError

if TYPE_CHECKING:  # transformers and torch load when a model does, not with the catalog
    from lmforge.modeling.artifacts import ModelBundle, ModelRef


class HFTokenizerDataset(AbstractDataset):
    """A tokenizer folder (`tokenizer.json`, `tokenizer_config.json`)."""

    def __init__(self, path: str, metadata: dict[str, Any] | None = None) -> None:
        self._path = Path(path)
        self.metadata = metadata

    def load(self) -> Any:
        from lmforge.modeling.model import load_tokenizer

        return load_tokenizer(str(self._path))

    def save(self, data: Any) -> None:
        self._path.mkdir(parents=True, exist_ok=True)
        data.save_pretrained(self._path)

    def _exists(self) -> bool:
        return (self._path / "tokenizer_config.json").is_file()

    def _describe(self) -> dict[str, Any]:
        return {"path": str(self._path)}


class HFModelDataset(AbstractDataset):
    """A model folder in Hugging Face format. `save` takes a `ModelBundle` and, with
    `mlflow_artifact_path`, also logs the folder to the active MLflow run; `load` returns a
    `ModelRef` so the node decides which head to load the weights into."""

    def __init__(
        self,
        path: str,
        mlflow_artifact_path: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self._path = Path(path)
        self._artifact_path = mlflow_artifact_path
        self.metadata = metadata

    def load(self) -> ModelRef:
        from lmforge.modeling.artifacts import ModelRef

        ref = ModelRef(str(self._path))
        if not (ref.exists() or ref.skipped):
            raise DatasetError(
                f"No model folder at '{self._path}': run the pipeline that writes it first"
            )
        return ref

    def save(self, data: ModelBundle) -> None:
        import mlflow

        data.save(self._path)
        if self._artifact_path and mlflow.active_run() is not None:
            mlflow.log_artifacts(str(self._path), artifact_path=self._artifact_path)

    def _exists(self) -> bool:
        from lmforge.modeling.artifacts import ModelRef

        ref = ModelRef(str(self._path))
        return ref.exists() or ref.skipped

    def _describe(self) -> dict[str, Any]:
        return {"path": str(self._path), "mlflow_artifact_path": self._artifact_path}
