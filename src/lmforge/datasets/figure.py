"""A matplotlib figure saved as an image by the catalog. Unlike kedro-datasets'
`MatplotlibDataset`, building the catalog does not import matplotlib (about half a second of
every `kedro run`'s start-up): the node that draws the figure has already imported it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset, DatasetError


class FigureDataset(AbstractDataset):
    """Save-only: a figure into `filepath` (format from the suffix), then closed."""

    def __init__(
        self,
        filepath: str,
        save_args: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self._filepath = Path(filepath)
        self._save_args = dict(save_args or {})
        self.metadata = metadata

    def save(self, data: Any) -> None:
        import matplotlib.pyplot as plt

        self._filepath.parent.mkdir(parents=True, exist_ok=True)
        data.savefig(self._filepath, **self._save_args)
        plt.close(data)

    def load(self) -> Any:
        raise DatasetError(f"{self._filepath} is an image written for people: nothing loads it")

    def _exists(self) -> bool:
        return self._filepath.is_file()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath), "save_args": self._save_args}
