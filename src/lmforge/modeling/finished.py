"""Checkpoint folders of finished training runs whose results are not saved yet.

`train(..., clear_on_success=False)` leaves its checkpoints here instead of deleting them; the
pipeline's `CheckpointCleanupHook` deletes them once the outputs (the models) are saved, so a
kill between the last step and the save resumes at the last step. No torch here: the hook runs
in every `kedro run`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

FINISHED_CHECKPOINTS: list[Path] = []


def clear_finished_checkpoints() -> None:
    """Delete the checkpoints of finished runs, once their results are saved."""
    while FINISHED_CHECKPOINTS:
        shutil.rmtree(FINISHED_CHECKPOINTS.pop(), ignore_errors=True)
