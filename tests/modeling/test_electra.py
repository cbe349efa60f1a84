"""ELECTRA's replaced-token detection: the generator/discriminator pair, its loss, its training
through the shared loop, and the discriminator as the pretrained model fine-tuning loads."""

import pytest
import torch
from transformers import AutoModelForSequenceClassification, ElectraForPreTraining

from lmforge.modeling.model import load_language_model, pretrained_part
from lmforge.training.loop import TrainConfig, train
from lmforge.training.objectives import ReplacedTokenDetectionObjective
from tests.conftest import lm_task, tiny_lm

FAST = {"progress_bar": False, "log_every": 5, "lr": 3e-3, "batch_size": 16}


def test_generator_is_narrower_and_shares_the_embeddings(tokenizer):
    pair = tiny_lm(tokenizer, "electra")
    generator, discriminator = pair.generator, pair.discriminator
    assert generator.config.hidden_size < discriminator.config.hidden_size
    assert generator.electra.embeddings is discriminator.electra.embeddings
    assert generator.generator_lm_head.weight is (
        discriminator.electra.embeddings.word_embeddings.weight
    )
    assert pair.config is discriminator.config


def test_masked_batch_is_normalized_by_the_real_tokens(packed, tokenizer):
    batch = lm_task(packed, tokenizer, "electra").global_batch(0, 8)
    assert int(batch["normalizer"]) == int(batch["attention_mask"].sum())
    assert 0 < int((batch["labels"] != -100).sum()) < int(batch["normalizer"])


def test_loss_combines_generator_and_discriminator(packed, tokenizer):
    pair = tiny_lm(tokenizer, "electra").eval()
    batch = lm_task(packed, tokenizer, "electra").global_batch(0, 8)
    inputs = {k: batch[k] for k in ("input_ids", "attention_mask", "labels")}
    objective = ReplacedTokenDetectionObjective(pair, mask_probability=0.15)
    torch.manual_seed(0)
    parts = objective.components(**inputs)
    torch.manual_seed(0)
    loss = objective(**inputs)
    assert int(parts["masked"]) == int((batch["labels"] != -100).sum())
    assert int(parts["tokens"]) == int(batch["attention_mask"].sum())
    # an untrained generator replaces most masked tokens; an untrained discriminator is a coin
    assert 0.4 < float(parts["rtd"].detach() / parts["tokens"]) < 1.0
    expected = parts["mlm"] / 0.15 + 50.0 * parts["rtd"]
    torch.testing.assert_close(loss, expected)
    loss.backward()
    for part in (pair.generator.electra.encoder, pair.discriminator.electra.encoder):
        assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in part.parameters())


def test_training_lowers_the_loss_and_keeps_the_discriminator(packed, tokenizer, tmp_path):
    pair = tiny_lm(tokenizer, "electra")
    task = lm_task(packed, tokenizer, "electra")
    before = {k: v.clone() for k, v in pair.generator.state_dict().items()}
    rng = torch.get_rng_state()
    first = task.evaluate(task.objective(pair).eval(), torch.device("cpu"), "fp32", batch_size=16)
    assert torch.equal(torch.get_rng_state(), rng)  # evaluation leaves training's RNG alone
    assert first == task.evaluate(task.objective(pair), torch.device("cpu"), "fp32", 16)
    result = train(pair, task, TrainConfig(max_steps=60, eval_every=30, **FAST))
    evaluations = [r for r in result.history if "val_loss" in r]
    assert evaluations[-1]["val_loss"] < evaluations[0]["val_loss"]
    assert evaluations[-1]["val_perplexity"] < evaluations[0]["val_perplexity"]
    assert all(0.0 <= e["val_rtd_accuracy"] <= 1.0 for e in evaluations)
    assert any(
        not torch.equal(v, before[k]) for k, v in result.model.generator.state_dict().items()
    )
    kept = pretrained_part(result.model)
    assert isinstance(kept, ElectraForPreTraining)
    kept.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    classifier = AutoModelForSequenceClassification.from_pretrained(tmp_path, num_labels=2)
    torch.testing.assert_close(
        classifier.electra.encoder.layer[0].attention.self.query.weight,
        kept.electra.encoder.layer[0].attention.self.query.weight,
    )


def test_electra_does_not_continue_a_checkpoint(tmp_path):
    with pytest.raises(ValueError, match="electra trains from scratch"):
        load_language_model("electra", str(tmp_path))
