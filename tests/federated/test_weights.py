"""The model every party builds, and the weights that travel: the trainable ones only."""

import pytest
import torch

from lmforge.federated.weights import FederationSpec, build_model, load_shared, shared_state
from tests.conftest import tiny_language_model
from tests.pipelines.conftest import load_parameters


@pytest.fixture(scope="module")
def base(tmp_path_factory, tokenizer):
    return tiny_language_model(tmp_path_factory.mktemp("base"), tokenizer)


def spec(base: str, strategy: str, tmp_path) -> FederationSpec:
    finetuning = {**load_parameters("test")["finetuning"], "strategy": strategy}
    made = FederationSpec(base=base, classes=["neg", "pos"], finetuning=finetuning)
    return FederationSpec.from_json(made.to_json())  # as the Flower processes receive it


@pytest.mark.parametrize("strategy", ["full", "head", "lora"])
def test_every_party_builds_the_same_model_and_shares_its_trainable_weights(
    base, strategy, tmp_path
):
    server, _, _ = build_model(spec(base, strategy, tmp_path))
    client, _, max_length = build_model(spec(base, strategy, tmp_path))
    state = shared_state(server)
    trainable = {n for n, p in server.named_parameters() if p.requires_grad}
    assert set(state) == trainable and max_length == 64
    total = sum(p.numel() for p in server.parameters())
    sent = sum(v.numel() for v in state.values())
    assert (sent == total) if strategy == "full" else (sent < total / 4)
    for name, value in shared_state(client).items():
        assert torch.equal(value, state[name])  # same seed, same head

    moved = {name: value + 1.0 for name, value in state.items()}
    load_shared(client, moved)
    assert all(torch.equal(v, moved[n]) for n, v in shared_state(client).items())


def test_weights_from_another_strategy_are_refused_by_name(base, tmp_path):
    full, _, _ = build_model(spec(base, "full", tmp_path))
    head, _, _ = build_model(spec(base, "head", tmp_path))
    with pytest.raises(ValueError, match="federated weights do not match the model: missing"):
        load_shared(head, shared_state(full))


def test_a_round_trains_local_epochs_whole_with_its_own_seed(base, tmp_path):
    made = spec(base, "full", tmp_path)
    first, second = made.round_training(1, 0), made.round_training(2, 3)
    assert first["epochs"] == made.finetuning["federated"]["local_epochs"]
    assert first["budget_minutes"] is None and first["early_stopping_patience"] is None
    assert first["max_steps"] is None and not first["restore_best"]
    assert first["seed"] != second["seed"]
    # the rounds share out one learning-rate schedule
    finetuning = {**made.finetuning, "federated": {**made.finetuning["federated"], "rounds": 4}}
    four = FederationSpec(base=made.base, classes=made.classes, finetuning=finetuning)
    windows = [four.round_training(r, 0)["schedule_window"] for r in (1, 2, 3, 4)]
    assert windows == [(0.0, 0.25), (0.25, 0.5), (0.5, 0.75), (0.75, 1.0)]
