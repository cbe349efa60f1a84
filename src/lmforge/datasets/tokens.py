"""The packed token file in the catalog: streamed in on save, memory-mapped on load."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset

from lmforge.training.packing import PackedTokens, write_packed_tokens


@dataclass
class TokenStream:
    """What the tokenizing node returns: batches of token ids, produced lazily."""

    batches: Iterable[Sequence[Sequence[int]]]
    vocab_size: int
    sep_id: int
    special_ids: dict[str, int]


class PackedTokensDataset(AbstractDataset):
    """A packed-token folder (`tokens.bin`, `offsets.npy`, `meta.json`)."""

    def __init__(self, path: str, metadata: dict[str, Any] | None = None) -> None:
        self._path = Path(path)
        self.metadata = metadata

    def load(self) -> PackedTokens:
        return PackedTokens(self._path)

    def save(self, data: TokenStream) -> None:
        write_packed_tokens(
            self._path, data.batches, data.vocab_size, data.sep_id, data.special_ids
        )

    def _exists(self) -> bool:
        return (self._path / "meta.json").is_file()

    def _describe(self) -> dict[str, Any]:
        return {"path": str(self._path)}
