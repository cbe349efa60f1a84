import pytest
import torch
from torch import nn

from lmforge.training.loop import TrainConfig, train
from lmforge.training.weight_average import WeightAverage, warmed_up_decay
from tests.conftest import lm_task, tiny_lm

FAST = {"progress_bar": False, "lr": 3e-3, "batch_size": 16, "eval_every": 1_000}


def moving_average(trajectory: list[dict[str, torch.Tensor]], decay: float) -> dict:
    """The average the trainer should keep, computed from every step's weights."""
    average = {k: v.clone() for k, v in trajectory[0].items()}
    for step, weights in enumerate(trajectory[1:], start=1):
        d = warmed_up_decay(decay, step)
        average = {k: d * average[k] + (1 - d) * weights[k] for k in average}
    return average


def test_the_average_follows_the_weights_and_swaps_in_and_out():
    model = nn.Linear(2, 1)
    model.bias.requires_grad_(False)  # frozen weights are not averaged
    average = WeightAverage(model, decay=0.5)
    assert set(average.average) == {"weight"}
    start = model.weight.detach().clone()
    with torch.no_grad():
        model.weight.add_(4.0)
    average.update(step=1)  # decay min(0.5, 2/11): weight 9/11 on the new weights
    expected = start + 4.0 * 9 / 11
    torch.testing.assert_close(average.average["weight"], expected)
    with average.applied():
        torch.testing.assert_close(model.weight.detach(), expected)
    torch.testing.assert_close(model.weight.detach(), start + 4.0)
    restored = WeightAverage(model, decay=0.5)
    restored.load_state_dict(average.state_dict())
    restored.copy_to_model()
    torch.testing.assert_close(model.weight.detach(), expected)
    with pytest.raises(ValueError, match=r"training\.ema_decay"):
        TrainConfig.from_dict({"epochs": 1, "ema_decay": 1.0})


def test_training_returns_the_moving_average_of_its_steps(packed, tokenizer):
    model = tiny_lm(tokenizer)
    trajectory = [{k: v.detach().clone() for k, v in model.named_parameters()}]

    def snapshot(step, metrics):  # log rows come after every step, with the stepped weights
        if "train_loss" in metrics:
            trajectory.append({k: v.detach().clone() for k, v in model.named_parameters()})

    config = TrainConfig(max_steps=12, log_every=1, ema_decay=0.8, restore_best=False, **FAST)
    result = train(model, lm_task(packed, tokenizer), config, callbacks=[snapshot])
    assert len(trajectory) == 13
    expected = moving_average(trajectory, 0.8)
    returned = dict(result.model.named_parameters())
    for name, tensor in expected.items():
        torch.testing.assert_close(returned[name].detach(), tensor, rtol=1e-5, atol=1e-6)
    assert any(not torch.allclose(returned[n], trajectory[-1][n]) for n in expected)


def test_a_resumed_run_resumes_its_average(packed, tokenizer, tmp_path):
    config = TrainConfig(
        max_steps=12,
        log_every=4,
        checkpoint_every=4,
        keep_checkpoints=3,
        keep_checkpoints_on_success=True,
        ema_decay=0.8,
        restore_best=False,
        **FAST,
    )
    straight = train(tiny_lm(tokenizer), lm_task(packed, tokenizer), config, tmp_path / "a")
    train(tiny_lm(tokenizer), lm_task(packed, tokenizer), config, tmp_path / "b")
    for step in ("step_00000012", "best.safetensors", "best.manifest.json"):
        target = tmp_path / "b" / step
        if target.is_dir():
            for child in target.iterdir():
                child.unlink()
            target.rmdir()
        elif target.exists():
            target.unlink()
    resumed = train(tiny_lm(tokenizer), lm_task(packed, tokenizer), config, tmp_path / "b")
    assert resumed.resumed_from == 8
    for a, b in zip(straight.model.parameters(), resumed.model.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)
