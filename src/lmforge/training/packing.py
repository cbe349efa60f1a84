"""Packed token files (like nanoGPT's `train.bin`): one flat array of token ids on disk,
read through a memory map, plus the offset where each document starts.

Layout of a packed-token folder:
    tokens.bin     token ids, each document followed by [SEP] (uint16; uint32 for big vocabs)
    offsets.npy    int64, n_docs + 1 entries: document i is tokens[offsets[i]:offsets[i+1]]
    meta.json      counts, dtype, vocabulary size, special ids and the MD5 of tokens.bin

The writer streams (bounded memory); the reader maps the file, so a corpus larger than RAM
trains with the page cache doing the work.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from lmforge.files import atomic_directory


def token_dtype(vocab_size: int) -> np.dtype:
    return np.dtype(np.uint16 if vocab_size <= np.iinfo(np.uint16).max + 1 else np.uint32)


def write_packed_tokens(
    path: Path,
    batches: Iterable[Sequence[Sequence[int]]],
    vocab_size: int,
    sep_id: int,
    special_ids: dict[str, int] | None = None,
) -> dict[str, Any]:
    """Stream batches of tokenized documents into `path` (written to a temp folder, then
    renamed, so a killed run never leaves a half-written token file behind)."""
    with atomic_directory(Path(path)) as tmp:
        return _write_tokens(tmp, batches, vocab_size, sep_id, special_ids)


def _write_tokens(
    tmp: Path,
    batches: Iterable[Sequence[Sequence[int]]],
    vocab_size: int,
    sep_id: int,
    special_ids: dict[str, int] | None,
) -> dict[str, Any]:
    dtype = token_dtype(vocab_size)
    digest = hashlib.md5(usedforsecurity=False)
    offsets = [0]
    with (tmp / "tokens.bin").open("wb") as handle:
        for batch in batches:
            chunk = [np.asarray([*doc, sep_id], dtype=dtype) for doc in batch if len(doc)]
            if not chunk:
                continue
            flat = np.concatenate(chunk)
            handle.write(flat.tobytes())
            digest.update(flat.tobytes())
            offsets.extend((offsets[-1] + np.cumsum([len(c) for c in chunk])).tolist())
    np.save(tmp / "offsets.npy", np.asarray(offsets, dtype=np.int64))
    meta = {
        "n_docs": len(offsets) - 1,
        "n_tokens": int(offsets[-1]),
        "dtype": dtype.name,
        "vocab_size": int(vocab_size),
        "special_ids": {"sep": int(sep_id), **(special_ids or {})},
        "md5": digest.hexdigest(),
    }
    (tmp / "meta.json").write_text(json.dumps(meta, indent=2))
    return meta


class PackedTokens:
    """Read-only, memory-mapped view of a packed-token folder (pickles as its path)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.meta = json.loads((self.path / "meta.json").read_text())
        self._tokens: np.ndarray | None = None
        self._offsets: np.ndarray | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"path": self.path, "meta": self.meta, "_tokens": None, "_offsets": None}

    @property
    def tokens(self) -> np.ndarray:
        if self._tokens is None:
            self._tokens = np.memmap(self.path / "tokens.bin", dtype=self.meta["dtype"], mode="r")
        return self._tokens

    @property
    def offsets(self) -> np.ndarray:
        if self._offsets is None:
            self._offsets = np.load(self.path / "offsets.npy", mmap_mode="r")
        return self._offsets

    @property
    def n_docs(self) -> int:
        return int(self.meta["n_docs"])

    @property
    def n_tokens(self) -> int:
        return int(self.meta["n_tokens"])

    @property
    def fingerprint(self) -> str:
        return str(self.meta["md5"])

    def window(self, doc: int, length: int, limit: int | None = None) -> np.ndarray:
        """Up to `length` tokens from the start of document `doc`, never past token `limit`."""
        start = int(self.offsets[doc])
        end = min(start + length, self.n_tokens if limit is None else limit)
        return np.asarray(self.tokens[start:end], dtype=np.int64)
