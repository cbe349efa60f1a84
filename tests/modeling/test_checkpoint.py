import logging

import torch

from lmforge.modeling.checkpoint import STATE, WEIGHTS, CheckpointManager


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
