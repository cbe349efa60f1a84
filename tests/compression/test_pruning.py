import pytest
import torch
from transformers import AutoModelForSequenceClassification

from lmforge.classification.finetune import encode
from lmforge.compression.pruning import (
    encoder_parameters,
    feed_forward_blocks,
    neurons_for_fraction,
    prune_feed_forward,
)
from lmforge.compression.recipes import accumulate_taylor_gradients
from lmforge.training.tasks import ClassificationTask, _pad


def logits(model, tokenizer, texts):
    ids, mask = _pad(encode(tokenizer, texts, 64), tokenizer.pad_token_id)
    with torch.no_grad():
        return model(input_ids=ids, attention_mask=mask).logits


def weight_bytes(folder):
    return (folder / "model.safetensors").stat().st_size


def test_pruning_shrinks_the_matrices_and_reloads_with_the_stock_class(
    classifier, tokenizer, texts, tmp_path
):
    classifier.save_pretrained(tmp_path / "teacher")
    before_total = sum(p.numel() for p in classifier.parameters())
    before_encoder = encoder_parameters(classifier)
    neurons = neurons_for_fraction(classifier, 0.6)
    prune_feed_forward(classifier, neurons)
    assert encoder_parameters(classifier) <= 0.6 * before_encoder
    assert sum(p.numel() for p in classifier.parameters()) < before_total
    classifier.save_pretrained(tmp_path / "pruned")
    assert weight_bytes(tmp_path / "pruned") < weight_bytes(tmp_path / "teacher")
    reloaded = AutoModelForSequenceClassification.from_pretrained(tmp_path / "pruned").eval()
    out = logits(reloaded, tokenizer, texts[:8])
    assert out.shape == (8, 3)
    assert torch.allclose(out, logits(classifier, tokenizer, texts[:8]), atol=1e-5)


def test_removing_dead_neurons_keeps_the_predictions(classifier, tokenizer, texts):
    dead = torch.arange(0, 64, 2)  # half of the neurons of every layer carry nothing
    for block in feed_forward_blocks(classifier):
        with torch.no_grad():
            if type(block.up).__name__ == "Conv1D":  # GPT-2: weights are (in, out)
                block.up.weight[:, dead] = 0.0
                block.down.weight[dead, :] = 0.0
            else:
                block.up.weight[dead, :] = 0.0
                block.down.weight[:, dead] = 0.0
            block.up.bias[dead] = 0.0
    before = logits(classifier, tokenizer, texts[:16])
    prune_feed_forward(classifier, 32)
    assert all(block.up.bias.numel() == 32 for block in feed_forward_blocks(classifier))
    assert torch.allclose(logits(classifier, tokenizer, texts[:16]), before, atol=1e-4)


def test_taylor_importance_uses_gradients(classifier, tokenizer, texts):
    ids = encode(tokenizer, texts[:32], 64)
    task = ClassificationTask(ids, [i % 3 for i in range(32)], ids, [0] * 32, 0, 3, seed=0)
    with pytest.raises(ValueError, match="needs gradients"):
        prune_feed_forward(classifier, 16, "taylor")
    accumulate_taylor_gradients(classifier, task, 2)
    prune_feed_forward(classifier, 16, "taylor")
    assert logits(classifier, tokenizer, texts[:2]).shape == (2, 3)


def test_a_fraction_feed_forward_pruning_cannot_reach_is_refused(classifier):
    with pytest.raises(ValueError, match=r"compression.pruning.keep_fraction=0.2 .* attention"):
        neurons_for_fraction(classifier, 0.2)
