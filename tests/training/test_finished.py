"""Checkpoints of finished training runs: deleted once their task succeeds, kept after a failure."""

import pytest

from lmforge.training.finished import FINISHED_CHECKPOINTS, clearing_checkpoints_finished_inside


def _finished_run(folder):
    folder.mkdir()
    (folder / "step_00000100").mkdir()
    FINISHED_CHECKPOINTS.append(folder)
    return folder


def test_a_successful_task_deletes_only_the_checkpoints_finished_inside_it(tmp_path):
    earlier = _finished_run(tmp_path / "earlier")  # finished before: not this task's to delete
    with clearing_checkpoints_finished_inside():
        inside = _finished_run(tmp_path / "inside")
    assert not inside.exists() and earlier.exists()
    assert list(FINISHED_CHECKPOINTS) == [earlier]
    FINISHED_CHECKPOINTS.clear()


def test_a_failed_task_keeps_its_checkpoints_and_forgets_them(tmp_path):
    kept = tmp_path / "kept"
    with (
        pytest.raises(RuntimeError, match="the save failed"),
        clearing_checkpoints_finished_inside(),
    ):
        _finished_run(kept)
        raise RuntimeError("the save failed")
    assert (kept / "step_00000100").is_dir()  # a rerun resumes from it
    assert not FINISHED_CHECKPOINTS  # a later task cannot delete it
    with clearing_checkpoints_finished_inside():
        pass
    assert kept.exists()
