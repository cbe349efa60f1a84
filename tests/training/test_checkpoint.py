import logging

import torch

from lmforge.training.checkpoint import STATE, WEIGHTS, CheckpointManager


def save_three(tmp_path):
    manager = CheckpointManager(tmp_path, keep=2)
    model = torch.nn.Linear(4, 2)
    for step in (10, 20, 30):
        with torch.no_grad():
            model.weight.fill_(step)
        manager.save(step, model, {"step": step, "rng": torch.get_rng_state()})
    return manager, model


def test_keeps_the_latest_and_restores_weights_and_state(tmp_path):
    manager, _ = save_three(tmp_path)
    assert [c.step for c in manager._candidates()] == [20, 30]
    fresh = torch.nn.Linear(4, 2)
    state = manager.load(manager.latest_valid(), fresh)
    assert state["step"] == 30 and torch.all(fresh.weight == 30)
    assert not list(tmp_path.glob(".*tmp*"))


def test_truncated_checkpoint_is_skipped_with_a_warning(tmp_path, caplog):
    manager, _ = save_three(tmp_path)
    weights = tmp_path / "step_00000030" / WEIGHTS
    weights.write_bytes(weights.read_bytes()[:20])
    with caplog.at_level(logging.WARNING):
        latest = manager.latest_valid()
    assert latest.step == 20
    assert "does not match its checksum" in caplog.text


def test_half_written_and_garbage_folders_never_crash(tmp_path):
    manager, _ = save_three(tmp_path)
    (tmp_path / "step_00000030" / "manifest.json").unlink()
    (tmp_path / ".step_00000040.tmp-123").mkdir()  # a write that was killed
    (tmp_path / "step_00000050").mkdir()  # empty
    (tmp_path / "step_00000020" / STATE).write_bytes(b"not a torch file")
    assert manager.latest_valid() is None


def test_a_corrupted_best_file_is_reported_and_not_loaded(tmp_path, caplog):
    from lmforge.training.checkpoint import BEST

    manager = CheckpointManager(tmp_path)
    best = torch.nn.Linear(4, 2)
    with torch.no_grad():
        best.weight.fill_(7)
    manager.save_best(best)
    fresh = torch.nn.Linear(4, 2)
    assert manager.load_best(fresh) and torch.all(fresh.weight == 7)
    data = bytearray((tmp_path / BEST).read_bytes())
    data[-4:] = b"\x00\x00\x80\x7f"  # flip the last float: same size, different bytes
    (tmp_path / BEST).write_bytes(bytes(data))
    other = torch.nn.Linear(4, 2)
    before = other.weight.clone()
    with caplog.at_level(logging.WARNING):
        assert not manager.load_best(other)
    assert "does not match its checksum" in caplog.text
    assert torch.equal(other.weight, before)


def test_one_writer_per_checkpoint_folder(tmp_path):
    import subprocess
    import sys

    import pytest

    from lmforge.training.checkpoint import CheckpointBusyError, exclusive

    root = tmp_path / "pretraining" / "abc123"
    root.parent.mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(root.parent / f".{root.name}.lock")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(CheckpointBusyError, match=r"being written by pid \d+"), exclusive(root):
            pass
    finally:
        holder.kill()
        holder.wait()
    with exclusive(root):  # the holder is gone: the lock is free again
        pass


HOLD_LOCK = """
import fcntl, os, sys, time
handle = open(sys.argv[1], "a+")
fcntl.flock(handle, fcntl.LOCK_EX)
handle.write(f"pid {os.getpid()}"); handle.flush()
print("locked", flush=True)
time.sleep(60)
"""
