"""File helpers shared by every writer of artifacts: one way to write a folder atomically and
one file hasher (no heavy imports)."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BLOCK = 1 << 20


def file_digest(path: Path, algorithm: str = "md5") -> str:
    """The hex digest of a file's bytes (`md5` is what DVC records; checkpoints use `sha256`)."""
    digest = hashlib.new(algorithm, usedforsecurity=False)
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def fsync_path(path: Path) -> None:
    """Flush a file, or a folder's entry list, to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def atomic_directory(path: Path, durable: bool = False) -> Iterator[Path]:
    """Yield an empty temporary folder beside `path`; when the block ends without an error,
    swap it in place of `path` in one rename, so readers never see half a folder. With
    `durable`, the files and the parent's entry are fsynced first (checkpoints survive a power
    cut). On an error the temporary folder is removed and `path` is left as it was."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        yield tmp
        if durable:
            for child in tmp.rglob("*"):
                if child.is_file():
                    fsync_path(child)
        if path.exists():
            shutil.rmtree(path)
        os.replace(tmp, path)
        if durable:
            fsync_path(path.parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
