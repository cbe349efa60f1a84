"""DP-SGD through Opacus inside the shared loop: per-sample gradients for both families and all
strategies, clipping and noise as configured, ε calibrated and logged, refusals before work."""

import copy

import numpy as np
import pandas as pd
import pytest
import torch

from lmforge.classification.finetune import FinetuneSettings, fit_classifier, private_rows
from lmforge.modeling.model import ModelConfig, build_classifier, build_language_model
from lmforge.training.config import (
    PrivacyConfig,
    PrivacyConfigError,
    TrainConfig,
    default_delta,
)
from lmforge.training.loop import build_optimizer
from lmforge.training.objectives import ClassificationObjective
from lmforge.training.privacy import (
    PrivateTraining,
    calibrated_noise_multiplier,
    private_wrap,
    spent_epsilon,
    unwrap,
)

TINY = ModelConfig(n_layers=2, d_model=32, n_heads=2, d_ff=64, max_length=64, dropout=0.0)
# rdp calibrates in about 1 s, prv (the default) in about 6 s: prv is tested once below
PRIVATE = {"enabled": True, "target_epsilon": 8.0, "max_grad_norm": 1.0, "accountant": "rdp"}
TRAINING = {
    "epochs": 1,
    "batch_size": 8,
    "lr": 1e-2,
    "eval_every": 2,
    "progress_bar": False,
    "log_every": 2,
    "restore_best": False,
}


def tiny_classifier(tmp_path, tokenizer, objective):
    folder = tmp_path / objective
    build_language_model(objective, TINY.to_hf(objective, tokenizer)).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return build_classifier(str(folder), ["neg", "pos"])


def missing_per_sample_gradients(model: torch.nn.Module, batch_rows: int) -> list[str]:
    """Trainable parameters whose per-sample gradient is missing or not per sample."""
    missing = []
    for name, parameter in model.named_parameters():
        if not parameter.requires_grad:
            continue
        sample = getattr(parameter, "grad_sample", None)
        if sample is None or sample.shape[0] != batch_rows:
            missing.append(name)
    return missing


@pytest.fixture
def tokenizer(tokenizer):
    """A copy: fitting a GPT-2 classifier adjusts its tokenizer (end_on_the_last_text_token)."""
    return copy.deepcopy(tokenizer)


@pytest.fixture
def splits(texts):
    labels = ["pos" if "recommend it" in t or "Worth" in t else "neg" for t in texts[:80]]
    frame = pd.DataFrame({"text": texts[:80], "label": labels})
    return frame.iloc[:64], frame.iloc[64:]


def batch_of(tokenizer, texts, labels):
    encoded = tokenizer(
        texts, padding=True, truncation=True, max_length=TINY.max_length, return_tensors="pt"
    )
    return {
        "input_ids": encoded["input_ids"],
        "attention_mask": encoded["attention_mask"],
        "labels": torch.tensor(labels),
    }


@pytest.mark.parametrize("objective", ["clm", "mlm"])  # GPT-2 (Conv1D) and BERT
def test_per_sample_gradients_equal_one_example_at_a_time(tmp_path, tokenizer, texts, objective):
    """Every trainable weight, position embeddings included, gets each example's own gradient
    (HF builds position_ids with batch 1, which would break exactly that)."""
    torch.manual_seed(0)
    model = tiny_classifier(tmp_path, tokenizer, objective)
    model.config.pad_token_id = tokenizer.pad_token_id
    objective_module = ClassificationObjective(model).train()  # dropout 0: comparable
    optimizer = build_optimizer(model, TrainConfig(lr=0.0))
    module, _, handles = private_wrap(objective_module, optimizer, 1.0, 1.0, 3)
    batch = batch_of(tokenizer, texts[:3], [0, 1, 1])
    (module(**batch) / 3).backward()
    assert missing_per_sample_gradients(model, 3) == []
    per_sample = {n: p.grad_sample.clone() for n, p in model.named_parameters()}
    unwrap(handles, model)
    for i in range(3):
        model.zero_grad()
        one = {k: v[i : i + 1] for k, v in batch.items()}
        objective_module(**one).backward()
        for name, parameter in model.named_parameters():
            torch.testing.assert_close(
                per_sample[name][i], parameter.grad, atol=1e-5, rtol=1e-4, msg=name
            )
    assert all(getattr(p, "grad_sample", None) is None for p in model.parameters())


def test_clipping_bounds_the_step_and_noise_is_added(tmp_path, tokenizer, texts):
    """Without noise a tiny clipping bound C caps the averaged gradient's norm at C; with
    noise multiplier σ the gradient moves by noise of std σ·C / B."""
    torch.manual_seed(0)
    model = tiny_classifier(tmp_path, tokenizer, "clm")
    model.config.pad_token_id = tokenizer.pad_token_id
    batch = batch_of(tokenizer, texts[:4], [0, 1, 0, 1])

    def dp_gradient(sigma: float, clip: float) -> torch.Tensor:
        optimizer = build_optimizer(model, TrainConfig(lr=0.0))
        module, dp_optimizer, handles = private_wrap(
            ClassificationObjective(model).train(), optimizer, sigma, clip, 4
        )
        (module(**batch) / 4).backward()
        dp_optimizer.pre_step()  # clip, accumulate, noise, scale: the gradient the step uses
        flat = torch.cat([p.grad.flatten() for p in model.parameters()])
        dp_optimizer.zero_grad(set_to_none=True)
        unwrap(handles, model)
        return flat

    clipped = dp_gradient(0.0, 1e-3)
    assert clipped.norm() <= 1e-3 * (1 + 1e-4)
    noisy = dp_gradient(2.0, 1e-3)
    noise = noisy - clipped
    assert noise.std().item() == pytest.approx(2.0 * 1e-3 / 4, rel=0.1)


def test_noise_is_calibrated_to_the_target_epsilon():
    plan = PrivateTraining(PrivacyConfig(enabled=True, target_epsilon=8.0), 640, 32, 100, seed=0)
    assert plan.delta == 1e-3  # 1/640 rounded down to a power of ten
    assert plan.sample_rate == pytest.approx(0.05)
    assert plan.epsilon(100) == pytest.approx(8.0, abs=0.1)
    assert 0 < plan.epsilon(10) < plan.epsilon(50) < plan.epsilon(100)
    rdp = PrivateTraining(PrivacyConfig(**PRIVATE), 640, 32, 100, seed=0)
    assert rdp.epsilon(100) == pytest.approx(8.0, abs=0.1)
    tighter = PrivateTraining(PrivacyConfig(**{**PRIVATE, "target_epsilon": 1.0}), 640, 32, 100, 0)
    assert tighter.noise_multiplier > rdp.noise_multiplier


def test_the_accountants_answers_are_opacus_own_and_asked_once():
    from opacus.accountants import RDPAccountant
    from opacus.accountants.utils import get_noise_multiplier

    question = (3.0, 1e-3, 0.05, 40, "rdp")
    calibrated_noise_multiplier.cache_clear()
    sigma = calibrated_noise_multiplier(*question)
    assert sigma == get_noise_multiplier(
        target_epsilon=3.0, target_delta=1e-3, sample_rate=0.05, steps=40, accountant="rdp"
    )
    assert calibrated_noise_multiplier(*question) == sigma
    assert calibrated_noise_multiplier.cache_info().hits == 1
    accountant = RDPAccountant()
    accountant.history = [(sigma, 0.05, 40)]
    assert spent_epsilon(sigma, 0.05, 40, 1e-3, "rdp") == accountant.get_epsilon(delta=1e-3)


def test_a_delta_of_one_over_n_or_more_is_refused_before_training():
    for delta in (1 / 640, 0.01, 0.0):
        with pytest.raises(PrivacyConfigError, match=r"finetuning.privacy.delta must be in"):
            PrivateTraining(PrivacyConfig(**{**PRIVATE, "delta": delta}), 640, 32, 100, seed=0)
    assert PrivateTraining(PrivacyConfig(**{**PRIVATE, "delta": 1e-4}), 640, 32, 100, 0).delta


def test_poisson_batches_are_seeded_by_step():
    plan = PrivateTraining(PrivacyConfig(**PRIVATE), 1000, 50, 200, seed=3)
    sizes = [len(plan.rows(step)) for step in range(200)]
    assert np.mean(sizes) == pytest.approx(50, rel=0.1) and len(set(sizes)) > 5
    np.testing.assert_array_equal(plan.rows(7), plan.rows(7))
    assert not np.array_equal(plan.rows(7), plan.rows(8))


@pytest.mark.parametrize(
    ("n", "delta"), [(640, 1e-3), (1000, 1e-4), (999, 1e-3), (7000, 1e-4), (100_000, 1e-6)]
)
def test_default_delta_is_below_one_over_n(n, delta):
    assert default_delta(n) == pytest.approx(delta)
    assert default_delta(n) < 1 / n


@pytest.mark.parametrize(
    ("objective", "strategy"),
    [("clm", "full"), ("clm", "head"), ("clm", "lora"), ("mlm", "lora")],
)  # BERT's full fine-tuning: its per-sample gradients are checked above
def test_private_finetuning_through_the_shared_loop(
    tmp_path, tokenizer, splits, objective, strategy
):
    model = tiny_classifier(tmp_path, tokenizer, objective)
    settings = FinetuneSettings(strategy=strategy, lora={"r": 4, "alpha": 8}, privacy=PRIVATE)
    outcome = fit_classifier(
        model, tokenizer, *splits, ["neg", "pos"], settings, TRAINING, "test", {}, None
    )
    guarantee = outcome.result.privacy
    assert guarantee is not None and guarantee["steps"] == outcome.result.steps == 8
    assert 0 < guarantee["epsilon"] <= 8.0 + 0.1
    assert guarantee["delta"] == 1e-2  # 64 rows
    assert guarantee["noise_multiplier"] > 0
    logged = [row["epsilon"] for row in outcome.result.history if "epsilon" in row]
    assert len(logged) == 5 and logged == sorted(logged)  # steps 0, 2, 4, 6, 8
    assert outcome.result.summary["epsilon"] == pytest.approx(guarantee["epsilon"])
    trained = outcome.model
    assert all(getattr(p, "grad_sample", None) is None for p in trained.parameters())
    assert not any(m._forward_pre_hooks for m in trained.modules())  # hooks removed


def test_an_empty_poisson_batch_takes_a_noise_only_step(tmp_path, tokenizer, splits):
    """batch_size 1 over 64 rows: about a third of the Poisson samples are empty."""
    model = tiny_classifier(tmp_path, tokenizer, "clm")
    settings = FinetuneSettings(strategy="head", privacy=PRIVATE)
    training = {**TRAINING, "epochs": None, "max_steps": 12, "batch_size": 1}
    outcome = fit_classifier(
        model, tokenizer, *splits, ["neg", "pos"], settings, training, "test", {}, None
    )
    assert outcome.result.steps == 12


@pytest.mark.parametrize(
    ("training", "settings", "message"),
    [
        ({"grad_accum_steps": 2}, {}, "grad_accum_steps"),
        ({"devices": 2}, {}, "devices"),
        ({}, {"head_warmup": {"steps": 5}}, "head_warmup"),
        ({}, {"privacy": {**PRIVATE, "accountant": "gdp2"}}, "accountant"),
    ],
)
def test_what_cannot_run_privately_fails_before_training(
    tmp_path, tokenizer, splits, training, settings, message
):
    model = tiny_classifier(tmp_path, tokenizer, "clm")
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    with pytest.raises(PrivacyConfigError, match=message):
        fit_classifier(
            model,
            tokenizer,
            *splits,
            ["neg", "pos"],
            FinetuneSettings(**{"privacy": PRIVATE, **settings}),
            {**TRAINING, **training},
            "test",
            {},
            None,
        )
    assert all(torch.equal(before[n], p) for n, p in model.named_parameters())


def test_augmented_copies_are_left_out_of_private_training():
    train = pd.DataFrame(
        {"text": ["a", "a!", "b"], "label": ["x", "x", "y"], "augmented": [False, True, False]}
    )
    assert private_rows(train, PrivacyConfig(enabled=True))["text"].tolist() == ["a", "b"]
    assert len(private_rows(train, PrivacyConfig(enabled=False))) == 3


class Interrupt(Exception):
    pass


def test_a_resumed_private_run_matches_an_uninterrupted_one(tmp_path, tokenizer, splits):
    """Same Poisson batches (seeded by step), the same noise (RNG state in the checkpoint) and
    the same average of the noisy weights (`ema_decay`, in the checkpoint too)."""
    from lmforge.classification.finetune import classification_task
    from lmforge.training.loop import train

    config = TrainConfig(
        max_steps=8,
        batch_size=8,
        lr=1e-2,
        eval_every=100,
        log_every=1,
        checkpoint_every=2,
        progress_bar=False,
        restore_best=False,
        ema_decay=0.8,
    )
    privacy = PrivacyConfig(**PRIVATE)

    def run(root, callbacks=()):
        torch.manual_seed(0)
        model = tiny_classifier(tmp_path / "m", tokenizer, "clm")
        model.config.pad_token_id = tokenizer.pad_token_id
        task = classification_task(tokenizer, *splits, ["neg", "pos"], 64, seed=0)
        return train(model, task, config, root, callbacks, privacy=privacy)

    straight = run(None)

    def stop_at_5(step, metrics):
        if step == 5:
            raise Interrupt

    with pytest.raises(Interrupt):
        run(tmp_path / "ckpt", [stop_at_5])
    resumed = run(tmp_path / "ckpt")
    assert resumed.resumed_from == 4
    assert resumed.privacy["epsilon"] == pytest.approx(straight.privacy["epsilon"])
    for (name, a), b in zip(straight.model.named_parameters(), resumed.model.parameters()):
        torch.testing.assert_close(a, b, msg=name)
