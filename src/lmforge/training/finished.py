"""Checkpoint folders of finished training runs whose results are not saved yet.

`train(..., clear_on_success=False)` leaves its checkpoints here instead of deleting them; the
pipeline's `CheckpointCleanupHook` deletes them once the outputs (the models) are saved, so a
kill between the last step and the save resumes at the last step. No torch here: the hook runs
in every `kedro run`.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

FINISHED_CHECKPOINTS: list[Path] = []


def clear_finished_checkpoints() -> None:
    """Delete the checkpoints of finished runs, once their results are saved."""
    while FINISHED_CHECKPOINTS:
        shutil.rmtree(FINISHED_CHECKPOINTS.pop(), ignore_errors=True)


@contextmanager
def clearing_checkpoints_finished_inside() -> Iterator[None]:
    """Once the block succeeds (a Dask task: a node run and its outputs saved), delete the
    checkpoints of the training runs that finished inside it; after a failure they stay on disk
    for a rerun to resume, and are forgotten, so that a later task cannot delete them."""
    start = len(FINISHED_CHECKPOINTS)
    try:
        yield
    except BaseException:
        del FINISHED_CHECKPOINTS[start:]
        raise
    for path in FINISHED_CHECKPOINTS[start:]:
        shutil.rmtree(path, ignore_errors=True)
    del FINISHED_CHECKPOINTS[start:]
