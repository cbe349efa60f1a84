import json
import signal
import time

import pytest
import torch

from lmforge.modeling.model import build_classifier
from lmforge.training.loop import (
    TrainConfig,
    build_optimizer,
    lr_lambda,
    replanned_steps,
    train,
)
from lmforge.training.tasks import ClassificationTask
from tests.conftest import lm_task, tiny_lm
from tests.training.train_script import launch

FAST = {"progress_bar": False, "log_every": 5, "lr": 3e-3, "batch_size": 16}


def test_tiny_pretraining_loss_falls(packed, tokenizer):
    result = train(
        tiny_lm(tokenizer),
        lm_task(packed, tokenizer),
        TrainConfig(max_steps=40, eval_every=20, **FAST),
    )
    evaluations = [r["val_loss"] for r in result.history if "val_loss" in r]
    losses = [r["train_loss"] for r in result.history if "train_loss" in r]
    assert len(evaluations) == 3 and evaluations[-1] < evaluations[0] - 0.5
    assert losses[-1] < losses[0]
    assert result.summary["tokens_per_s"] > 0 and 0 < result.summary["mfu"] < 5


def test_schedule_warms_up_then_decays():
    factor = lr_lambda(total=100, warmup_ratio=0.1, min_ratio=0.1)
    assert factor(0) == pytest.approx(0.1) and factor(9) == pytest.approx(1.0)
    assert factor(10) == pytest.approx(1.0) and factor(99) == pytest.approx(0.1, abs=1e-3)
    assert factor(55) < factor(30)


def test_runs_over_windows_of_one_schedule_follow_it_step_by_step():
    whole = lr_lambda(total=100, warmup_ratio=0.1, min_ratio=0.1)
    quarters = [lr_lambda(25, 0.1, 0.1, (i / 4, (i + 1) / 4)) for i in range(4)]
    pieced = [quarter(step) for quarter in quarters for step in range(25)]
    assert pieced == pytest.approx([whole(step) for step in range(100)])
    with pytest.raises(ValueError, match=r"training\.schedule_window"):
        TrainConfig.from_dict({"epochs": 1, "schedule_window": [0.5, 0.5]})


def test_gradient_accumulation_gives_the_same_model(packed, tokenizer):
    results = []
    for accumulation in (1, 4):
        config = TrainConfig(max_steps=6, eval_every=100, grad_accum_steps=accumulation, **FAST)
        results.append(train(tiny_lm(tokenizer), lm_task(packed, tokenizer), config).model)
    for a, b in zip(results[0].parameters(), results[1].parameters()):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_decay_groups_skip_biases_and_norms(tokenizer):
    optimizer = build_optimizer(tiny_lm(tokenizer), TrainConfig(max_steps=1))
    decayed, plain = optimizer.param_groups
    assert all(p.dim() >= 2 for p in decayed["params"]) and decayed["weight_decay"] > 0
    assert all(p.dim() == 1 for p in plain["params"]) and plain["weight_decay"] == 0


def test_layer_lr_decay_slows_lower_layers(tokenizer):
    model = build_classifier(None, ["a", "b"], tiny_lm(tokenizer).config)
    optimizer = build_optimizer(model, TrainConfig(max_steps=1, lr=1e-3, layer_lr_decay=0.5))
    lr_of = {id(p): g["lr"] for g in optimizer.param_groups for p in g["params"]}
    named = dict(model.named_parameters())
    layers = [n for n in named if ".h.0." in n or ".layer.0." in n]
    embeddings = [n for n in named if "wte" in n or "word_embeddings" in n]
    head = [n for n in named if n.startswith(("score", "classifier"))]
    depth = model.config.num_hidden_layers
    assert head and layers and embeddings
    assert [lr_of[id(named[n])] for n in head] == pytest.approx([1e-3] * len(head))
    assert [lr_of[id(named[n])] for n in layers] == pytest.approx([1e-3 * 0.5**depth] * len(layers))
    assert [lr_of[id(named[n])] for n in embeddings] == pytest.approx(
        [1e-3 * 0.5 ** (depth + 1)] * len(embeddings)
    )


def test_a_time_budget_caps_the_planned_steps(tokenizer, packed):
    slow = train(
        tiny_lm(tokenizer),
        lm_task(packed, tokenizer),
        TrainConfig(max_steps=10_000, budget_minutes=0.02, eval_every=10_000, **FAST),
    )
    assert 1 <= slow.steps < 10_000


def test_a_budget_run_replans_at_the_pace_it_measures(tokenizer, packed, monkeypatch):
    """The first plan trusts a bare-step timing (here: 1 ms, 1,200 steps in 1.2 s); steps that
    really take over 30 ms (a slow logger) make the run re-plan at its first evaluation, and
    the shortened schedule still decays to its floor."""
    monkeypatch.setattr("lmforge.training.loop._seconds_per_step", lambda *a, **k: 1e-3)
    config = TrainConfig(
        max_steps=10_000,
        budget_minutes=0.02,
        eval_every=5,
        min_lr_ratio=0.1,
        **{**FAST, "log_every": 1},
    )
    result = train(
        tiny_lm(tokenizer),
        lm_task(packed, tokenizer),
        config,
        callbacks=[lambda step, metrics: time.sleep(0.03)],
    )
    assert 5 < result.steps < 100
    lrs = [row["lr"] for row in result.history if "lr" in row]
    assert lrs[-1] == pytest.approx(config.lr * 0.1)


def test_replanning_fits_the_budget_within_the_ceiling():
    assert replanned_steps(done=10, elapsed=2.0, budget_seconds=10.0, ceiling=1000) == 50
    assert replanned_steps(done=10, elapsed=2.0, budget_seconds=1000.0, ceiling=80) == 80
    assert replanned_steps(done=10, elapsed=20.0, budget_seconds=10.0, ceiling=1000) == 11


def classification_task(seed=0, n=64):
    generator = torch.Generator().manual_seed(seed)
    ids = torch.randint(10, 60, (n, 12), generator=generator)
    labels = (ids[:, 0] > 35).long()  # learnable from the first token
    return ClassificationTask(
        ids.tolist(),
        labels.numpy(),
        ids[:16].tolist(),
        labels[:16].numpy(),
        pad_id=0,
        n_classes=2,
        seed=seed,
    )


def test_early_stopping_restores_the_best_weights(tmp_path, tokenizer):
    model = build_classifier(None, ["a", "b"], tiny_lm(tokenizer).config)
    config = TrainConfig(
        epochs=50,
        eval_every=2,
        early_stopping_patience=2,
        lr=0.05,
        batch_size=16,
        progress_bar=False,
    )
    result = train(model, classification_task(), config, tmp_path / "ckpt")
    evaluations = [r for r in result.history if "val_macro_f1" in r]
    assert result.steps < 200  # stopped early
    assert result.best_metric == max(r["val_macro_f1"] for r in evaluations)
    assert not (tmp_path / "ckpt").exists()  # checkpoints are cleared after success


def test_kill_9_then_rerun_resumes_and_matches_an_uninterrupted_run(tmp_path):
    straight = launch(tmp_path / "a" / "ckpt", tmp_path / "a.json")
    interrupted = launch(tmp_path / "b" / "ckpt", tmp_path / "b.json", slow=0.4)
    deadline = time.time() + 120
    while not list((tmp_path / "b" / "ckpt").glob("step_*")):
        assert interrupted.poll() is None and time.time() < deadline, interrupted.stdout.read()
        time.sleep(0.05)
    interrupted.send_signal(signal.SIGKILL)
    interrupted.wait()
    assert not (tmp_path / "b.json").exists()
    resumed = launch(tmp_path / "b" / "ckpt", tmp_path / "b.json")
    assert resumed.wait(timeout=180) == 0, resumed.stdout.read()
    assert straight.wait(timeout=180) == 0, straight.stdout.read()
    a, b = (json.loads((tmp_path / f"{n}.json").read_text()) for n in "ab")
    assert a["resumed_from"] is None and b["resumed_from"] >= 8
    assert b["final"]["val_loss"] == pytest.approx(a["final"]["val_loss"], rel=1e-4)
    assert b["train_loss"] == pytest.approx(a["train_loss"], rel=1e-4)


def test_a_truncated_latest_checkpoint_falls_back_to_the_previous(packed, tokenizer, tmp_path):
    config = TrainConfig(
        max_steps=12,
        eval_every=6,
        checkpoint_every=4,
        keep_checkpoints=3,
        keep_checkpoints_on_success=True,
        **FAST,
    )
    train(tiny_lm(tokenizer), lm_task(packed, tokenizer), config, tmp_path)
    latest = tmp_path / "step_00000012" / "model.safetensors"
    latest.write_bytes(latest.read_bytes()[:100])
    result = train(tiny_lm(tokenizer), lm_task(packed, tokenizer), config, tmp_path)
    assert result.resumed_from == 8 and result.steps == 12


def test_a_resumed_budget_run_keeps_its_checkpoints_plan(packed, tokenizer, tmp_path, monkeypatch):
    config = TrainConfig(
        max_steps=10_000,
        budget_minutes=0.02,
        eval_every=10_000,
        checkpoint_every=2,
        keep_checkpoints_on_success=True,
        **FAST,
    )
    first = train(tiny_lm(tokenizer), lm_task(packed, tokenizer), config, tmp_path)
    monkeypatch.setattr("lmforge.training.loop._seconds_per_step", lambda *a, **k: 1e-6)
    again = train(tiny_lm(tokenizer), lm_task(packed, tokenizer), config, tmp_path)
    assert again.resumed_from == first.steps and again.steps == first.steps < 10_000


def test_classification_batches_group_similar_lengths():
    generator = torch.Generator().manual_seed(0)
    lengths = torch.randint(2, 120, (400,), generator=generator).tolist()
    ids = [[5] * n for n in lengths]
    task = ClassificationTask(
        ids, [i % 2 for i in range(400)], ids[:8], [0] * 8, pad_id=0, n_classes=2, seed=0
    )
    steps = task.steps_per_epoch(16)
    batches = [task.global_batch(step, 16) for step in range(steps)]
    rows = [int(b["attention_mask"].sum(1).numel()) for b in batches]
    assert sum(rows) == steps * 16
    padded = sum(b["input_ids"].numel() for b in batches)
    assert padded < 0.6 * 16 * steps * max(lengths)  # random batches pad to near the maximum
    again = task.global_batch(3, 16)
    assert torch.equal(again["input_ids"], batches[3]["input_ids"])
    next_epoch = task.global_batch(steps + 3, 16)
    assert not torch.equal(next_epoch["input_ids"], batches[3]["input_ids"])
