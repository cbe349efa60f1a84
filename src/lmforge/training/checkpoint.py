"""Atomic training checkpoints that survive `kill -9`.

A checkpoint is a folder `step_00000120/` holding the model weights (safetensors), the trainer
state (optimizer, scheduler, RNG, progress; loaded with `torch.load(weights_only=True)`, so
nothing is unpickled) and a `manifest.json` with the SHA-256 of each file. It is written
under a temporary name and renamed into place, so a folder with the final name is complete.
A folder whose files do not match its manifest (truncated, corrupted) is skipped with a
warning, and the previous checkpoint is used instead.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_model, save_model

from lmforge.files import atomic_directory, file_digest

logger = logging.getLogger(__name__)

WEIGHTS = "model.safetensors"
STATE = "trainer_state.pt"
MANIFEST = "manifest.json"
BEST = "best.safetensors"
BEST_MANIFEST = "best.manifest.json"  # the checksum of best.safetensors, verified on load
_STEP_DIR = re.compile(r"^step_(\d{8})$")


def _sha256(path: Path) -> str:
    return file_digest(path, "sha256")


def _write_atomically(target: Path, write: Callable[[Path], None]) -> None:
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    write(tmp)
    with tmp.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, target)


@dataclass(frozen=True)
class Checkpoint:
    step: int
    path: Path


class CheckpointManager:
    """Checkpoints of one training configuration, under `root` (one folder per config key)."""

    def __init__(self, root: Path, keep: int = 2) -> None:
        self.root = Path(root)
        self.keep = max(keep, 1)

    def save(self, step: int, model: torch.nn.Module, state: dict[str, Any]) -> Checkpoint:
        """Write weights + state into a temp folder, fsync, then rename into place."""
        self.root.mkdir(parents=True, exist_ok=True)
        final = self.root / f"step_{step:08d}"
        with atomic_directory(final, durable=True) as tmp:
            save_model(model, str(tmp / WEIGHTS))
            torch.save(state, tmp / STATE)
            files = {name: _sha256(tmp / name) for name in (WEIGHTS, STATE)}
            (tmp / MANIFEST).write_text(json.dumps({"step": step, "files": files}, indent=2))
        self._prune()
        return Checkpoint(step, final)

    def _candidates(self) -> list[Checkpoint]:
        if not self.root.is_dir():
            return []
        found = []
        for child in self.root.iterdir():
            match = _STEP_DIR.match(child.name)
            if match and child.is_dir():
                found.append(Checkpoint(int(match.group(1)), child))
        return sorted(found, key=lambda c: c.step)

    def _prune(self) -> None:
        for old in self._candidates()[: -self.keep]:
            shutil.rmtree(old.path, ignore_errors=True)

    @staticmethod
    def verify(checkpoint: Checkpoint) -> str | None:
        """None when the checkpoint is complete and intact, else what is wrong with it."""
        manifest_path = checkpoint.path / MANIFEST
        try:
            manifest = json.loads(manifest_path.read_text())
        except (OSError, ValueError) as err:
            return f"unreadable manifest ({err})"
        for name, expected in manifest.get("files", {}).items():
            path = checkpoint.path / name
            if not path.is_file():
                return f"missing {name}"
            if _sha256(path) != expected:
                return f"{name} does not match its checksum (truncated or corrupted)"
        return None

    def latest_valid(self) -> Checkpoint | None:
        """The newest intact checkpoint; broken ones are reported and skipped."""
        for checkpoint in reversed(self._candidates()):
            problem = self.verify(checkpoint)
            if problem is None:
                return checkpoint
            logger.warning("Skipping checkpoint %s: %s", checkpoint.path, problem)
        return None

    @staticmethod
    def load(checkpoint: Checkpoint, model: torch.nn.Module) -> dict[str, Any]:
        """Load the weights into `model` and return the trainer state (no unpickling)."""
        load_model(model, str(checkpoint.path / WEIGHTS), strict=True)
        return torch.load(checkpoint.path / STATE, map_location="cpu", weights_only=True)

    def save_best(self, model: torch.nn.Module) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        _write_atomically(self.root / BEST, lambda tmp: save_model(model, str(tmp)))
        manifest = json.dumps({"files": {BEST: _sha256(self.root / BEST)}})
        _write_atomically(self.root / BEST_MANIFEST, lambda tmp: tmp.write_text(manifest))

    def load_best(self, model: torch.nn.Module) -> bool:
        """Load the best weights if they are intact; a corrupted file is reported, not loaded."""
        path = self.root / BEST
        if not path.is_file():
            return False
        try:
            expected = json.loads((self.root / BEST_MANIFEST).read_text())["files"][BEST]
        except (OSError, ValueError, KeyError) as err:
            logger.warning("Not restoring %s: no readable checksum (%s)", path, err)
            return False
        if _sha256(path) != expected:
            logger.warning("Not restoring %s: it does not match its checksum (corrupted)", path)
            return False
        load_model(model, str(path), strict=True)
        return True

    def clear(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


class CheckpointBusyError(RuntimeError):
    """Another process is training the same configuration into the same folder."""


@contextmanager
def exclusive(root: Path | None) -> Iterator[None]:
    """One writer per checkpoint folder: an advisory lock (`flock`) on a file beside it, held
    while training; a second process training the same configuration fails fast. Only the
    first rank of a torchrun job takes it."""
    if root is None or os.environ.get("RANK", "0") != "0":
        yield
        return
    root = Path(root)
    root.parent.mkdir(parents=True, exist_ok=True)
    with (root.parent / f".{root.name}.lock").open("a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise CheckpointBusyError(
                f"{root} is being written by {holder}, training the same configuration: "
                "one writer per checkpoint folder. Wait for it, or change a parameter."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
