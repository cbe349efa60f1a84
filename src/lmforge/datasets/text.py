"""Text inputs in the catalog: a parquet column streamed in batches, and the scoring input of
the inference pipeline (CSV, TSV, JSONL, parquet or TXT, picked by the file's suffix)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
from kedro.io import AbstractDataset, DatasetError

from lmforge.data.sources import SourceError, read_table


class TextBatches:
    """Batches of strings from one parquet column, read lazily (bounded memory)."""

    def __init__(self, path: Path, column: str, batch_size: int) -> None:
        self.path, self.column, self.batch_size = path, column, batch_size

    def __iter__(self) -> Iterator[list[str]]:
        reader = pq.ParquetFile(self.path)
        for batch in reader.iter_batches(batch_size=self.batch_size, columns=[self.column]):
            yield [t for t in batch.column(0).to_pylist() if t]

    def __len__(self) -> int:
        return int(pq.ParquetFile(self.path).metadata.num_rows)

    def texts(self) -> Iterator[str]:
        for batch in self:
            yield from batch


class TextCorpusDataset(AbstractDataset):
    """A text corpus as parquet: saved from a DataFrame, loaded lazily as `TextBatches`, so a
    corpus larger than memory can be tokenized and trained on."""

    def __init__(
        self,
        filepath: str,
        column: str = "text",
        batch_size: int = 4096,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self._filepath = Path(filepath)
        self._column, self._batch_size = column, batch_size
        self.metadata = metadata

    def load(self) -> TextBatches:
        if not self._filepath.is_file():
            raise DatasetError(f"'{self._filepath}' does not exist")
        return TextBatches(self._filepath, self._column, self._batch_size)

    def save(self, data: pd.DataFrame) -> None:
        self._filepath.parent.mkdir(parents=True, exist_ok=True)
        data.to_parquet(self._filepath, index=False)

    def _exists(self) -> bool:
        return self._filepath.is_file()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath), "column": self._column}


class TabularTextDataset(AbstractDataset):
    """A table of texts in any supported format; saves CSV, TSV, JSONL or parquet."""

    def __init__(self, filepath: str, metadata: dict[str, Any] | None = None) -> None:
        self._filepath = Path(filepath)
        self.metadata = metadata

    def load(self) -> pd.DataFrame:
        try:
            return read_table(self._filepath)
        except FileNotFoundError as err:
            raise DatasetError(f"Input file '{self._filepath}' does not exist") from err
        except SourceError as err:
            raise DatasetError(str(err)) from err

    def save(self, data: pd.DataFrame) -> None:
        self._filepath.parent.mkdir(parents=True, exist_ok=True)
        suffix = self._filepath.suffix.lower()
        if suffix == ".parquet":
            data.to_parquet(self._filepath, index=False)
        elif suffix in (".csv", ".tsv"):
            data.to_csv(self._filepath, sep="\t" if suffix == ".tsv" else ",", index=False)
        elif suffix in (".jsonl", ".json"):
            data.to_json(self._filepath, orient="records", lines=True, force_ascii=False)
        else:
            raise DatasetError(
                f"Cannot write predictions as '{suffix}' (use .parquet, .csv, .tsv or .jsonl)"
            )

    def _exists(self) -> bool:
        return self._filepath.is_file()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath)}
