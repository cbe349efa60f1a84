"""Atomic training checkpoints that survive `kill -9`.

A checkpoint is a folder `step_00000120/` holding the model weights (safetensors), the trainer
state (optimizer, scheduler, RNG, progress; loaded with `torch.load(weights_only=True)`, so
nothing is unpickled) and a `manifest.json` with the SHA-256 of each file. It is written
under a temporary name and renamed into place, so a folder with the final name is complete.
A folder whose files do not match its manifest (truncated, corrupted) is skipped with a
warning, and the previous checkpoint is used instead.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
from collections.abc import Callable
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

    def load_best(self, model: torch.nn.Module) -> bool:
        path = self.root / BEST
        if not path.is_file():
            return False
        load_model(model, str(path), strict=True)
        return True

    def clear(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
