import pandas as pd
import pytest
import torch

from lmforge.classification.finetune import FinetuneSettings, class_weights, fit_classifier
from lmforge.modeling.artifacts import ModelBundle, ModelRef
from lmforge.modeling.model import ModelConfig, build_classifier, build_language_model

TWO_LAYERS = ModelConfig(n_layers=2, d_model=32, n_heads=2, d_ff=64, max_length=64, dropout=0.0)
TRAINING = {
    "epochs": 2,
    "batch_size": 8,
    "lr": 1e-2,
    "eval_every": 100,
    "progress_bar": False,
    "log_every": 100,
    "restore_best": False,
}


@pytest.fixture
def pretrained_dir(tmp_path, tokenizer):
    build_language_model("mlm", TWO_LAYERS.to_hf("mlm", tokenizer)).save_pretrained(tmp_path / "lm")
    tokenizer.save_pretrained(tmp_path / "lm")
    return tmp_path / "lm"


@pytest.fixture
def splits(texts):
    labels = ["pos" if "recommend it" in t or "Worth" in t else "neg" for t in texts[:80]]
    frame = pd.DataFrame({"text": texts[:80], "label": labels})
    return frame.iloc[:64], frame.iloc[64:]


def snapshot(model):
    return {name: p.detach().clone() for name, p in model.named_parameters()}


def fit(pretrained_dir, tokenizer, splits, **settings):
    model = build_classifier(str(pretrained_dir), ["neg", "pos"])
    before = snapshot(model)
    outcome = fit_classifier(
        model,
        tokenizer,
        *splits,
        ["neg", "pos"],
        FinetuneSettings(**settings),
        TRAINING,
        "test",
        {},
        None,
    )
    return before, outcome.model


def changed(before, model):
    after = dict(model.named_parameters())
    return {name for name, value in before.items() if not torch.equal(value, after[name])}


def test_full_with_frozen_lower_layers(pretrained_dir, tokenizer, splits):
    before, model = fit(pretrained_dir, tokenizer, splits, strategy="full", freeze_layers=1)
    moved = changed(before, model)
    assert not any(n.startswith(("bert.embeddings.", "bert.encoder.layer.0.")) for n in moved)
    assert any(n.startswith("bert.encoder.layer.1.") for n in moved)
    assert {"classifier.weight", "classifier.bias"} <= moved


def test_head_only_trains_the_head(pretrained_dir, tokenizer, splits):
    before, model = fit(pretrained_dir, tokenizer, splits, strategy="head")
    moved = changed(before, model)
    assert moved and all(n.startswith(("classifier.", "bert.pooler.")) for n in moved)
    assert "classifier.weight" in moved


@pytest.mark.parametrize("merge", [True, False])
def test_lora_trains_adapters_only_and_saves_either_way(
    tmp_path, pretrained_dir, tokenizer, splits, merge
):
    settings = FinetuneSettings(strategy="lora", lora={"r": 4, "alpha": 8, "merge": merge})
    model = build_classifier(str(pretrained_dir), ["neg", "pos"])
    base_before = snapshot(model)
    outcome = fit_classifier(
        model, tokenizer, *splits, ["neg", "pos"], settings, TRAINING, "test", {}, None
    )
    peft_model = outcome.model
    base_after = dict(peft_model.get_base_model().named_parameters())
    for name, value in base_before.items():
        if "classifier" in name or "pooler" in name:
            continue  # trainable copies live in modules_to_save
        module, _, leaf = name.rpartition(".")
        wrapped = f"{module}.base_layer.{leaf}"  # where peft keeps a LoRA-wrapped weight
        assert torch.equal(value, base_after.get(wrapped, base_after.get(name))), name
    assert any("lora_" in n and p.requires_grad for n, p in peft_model.named_parameters())
    expected = _predict(peft_model, tokenizer)
    if merge:
        bundle = ModelBundle(peft_model.merge_and_unload(), tokenizer)
    else:
        bundle = ModelBundle(peft_model, tokenizer, adapter_base=peft_model.get_base_model())
    bundle.save(tmp_path / "clf")
    ref = ModelRef(str(tmp_path / "clf"))
    assert ref.is_adapter is not merge
    torch.testing.assert_close(
        _predict(ref.load_classifier(), tokenizer), expected, rtol=1e-3, atol=1e-3
    )


def _predict(model, tokenizer):
    batch = tokenizer(["the screen is great", "电池很差"], padding=True, return_tensors="pt")
    with torch.no_grad():
        return model.eval()(
            input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]
        ).logits


def test_class_weights_balance_rare_classes():
    weights = class_weights(torch.tensor([0, 0, 0, 1]).numpy(), 2)
    assert weights.tolist() == pytest.approx([4 / 6, 2.0])


def test_unknown_strategy_is_rejected():
    with pytest.raises(ValueError, match=r"finetuning\.strategy"):
        FinetuneSettings.from_params({"strategy": "prefix"})


def test_head_warmup_trains_the_head_alone_before_the_encoder(pretrained_dir, tokenizer, splits):
    model = build_classifier(str(pretrained_dir), ["neg", "pos"])
    before = snapshot(model)
    settings = FinetuneSettings(strategy="full", head_warmup={"steps": 4, "lr": 1e-2})
    no_main_phase = {**TRAINING, "lr": 0.0}  # the main phase moves nothing
    trained = fit_classifier(
        model, tokenizer, *splits, ["neg", "pos"], settings, no_main_phase, "test", {}, None
    ).model
    after = snapshot(trained)
    changed = {name for name in before if not torch.equal(before[name], after[name])}
    assert changed and all(name.startswith(("classifier", "bert.pooler")) for name in changed)
    assert all(p.requires_grad for p in trained.parameters())  # full fine-tuning afterwards


def test_long_texts_keep_their_start_and_their_end(tokenizer):
    from lmforge.classification.finetune import encode

    text = "The start is here. " + "filler words " * 200 + "Verdict: 不推荐!"
    full = tokenizer([text])["input_ids"][0]
    (ids,) = encode(tokenizer, [text], 64)
    assert len(ids) == 64 and len(full) > 64
    assert ids[:16] == full[:16] and ids[-48:] == full[-48:]
    assert ids[0] == tokenizer.cls_token_id and ids[-1] == tokenizer.sep_token_id
    (short,) = encode(tokenizer, ["short text"], 64)
    assert short == tokenizer(["short text"])["input_ids"][0]


def test_a_decoder_classifier_reads_the_last_text_token(tmp_path, tokenizer, splits):
    import copy

    from lmforge.modeling.model import load_tokenizer

    tokenizer = copy.deepcopy(tokenizer)
    config = TWO_LAYERS.to_hf("clm", tokenizer)
    build_language_model("clm", config).save_pretrained(tmp_path / "gpt")
    model = build_classifier(str(tmp_path / "gpt"), ["neg", "pos"])
    settings = FinetuneSettings()
    outcome = fit_classifier(
        model,
        tokenizer,
        *splits,
        ["neg", "pos"],
        settings,
        {**TRAINING, "epochs": 1},
        "test",
        {},
        None,
    )
    ids = tokenizer(["good phone"])["input_ids"][0]
    assert ids[0] == tokenizer.cls_token_id and ids[-1] != tokenizer.sep_token_id
    ModelBundle(outcome.model, tokenizer).save(tmp_path / "classifier")
    reloaded = load_tokenizer(str(tmp_path / "classifier"))
    assert reloaded(["good phone"])["input_ids"][0] == ids  # serving encodes the same way
