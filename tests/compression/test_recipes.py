import torch

from lmforge.classification.finetune import FinetuneSettings, apply_strategy
from lmforge.classification.inference import predict_proba
from lmforge.compression.pruning import feed_forward_blocks
from lmforge.compression.recipes import load_teacher
from lmforge.modeling.artifacts import ModelBundle, ModelRef


def test_an_unmerged_lora_teacher_is_compressed_as_one_plain_model(
    classifier, tokenizer, texts, tmp_path
):
    lora = {"r": 4, "alpha": 8, "dropout": 0.0}
    adapted = apply_strategy(classifier, FinetuneSettings(strategy="lora", lora=lora)).eval()
    with torch.no_grad():
        for name, parameter in adapted.named_parameters():
            if "lora_B" in name:
                parameter.normal_(0, 0.5)  # an adapter that changes the outputs
    expected = predict_proba(adapted, tokenizer, texts[:16], 64, 8)
    ModelBundle(adapted, tokenizer, adapter_base=adapted.get_base_model()).save(tmp_path / "t")
    reloaded = ModelRef(str(tmp_path / "t")).load_classifier()
    assert torch.allclose(
        torch.as_tensor(predict_proba(reloaded, tokenizer, texts[:16], 64, 8)),
        torch.as_tensor(expected),
        atol=1e-5,
    )
    teacher = load_teacher(ModelRef(str(tmp_path / "t")))
    assert not hasattr(teacher, "peft_config")
    assert len(list(feed_forward_blocks(teacher))) == 2
    assert torch.allclose(
        torch.as_tensor(predict_proba(teacher, tokenizer, texts[:16], 64, 8)),
        torch.as_tensor(expected),
        atol=1e-5,
    )
