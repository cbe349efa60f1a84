"""Where a Hugging Face model keeps its embeddings, its transformer layers and its task head,
whatever the architecture calls them (BERT, GPT-2, DistilBERT, …)."""

from __future__ import annotations

from typing import Any

from torch import nn

_LAYER_PATHS = ("encoder.layer", "h", "layers", "layer", "transformer.layer")


def base_model(model: nn.Module) -> nn.Module:
    return getattr(model, model.base_model_prefix)


def transformer_layers(model: nn.Module) -> nn.ModuleList:
    base = base_model(model)
    for path in _LAYER_PATHS:
        module: Any = base
        for part in path.split("."):
            module = getattr(module, part, None)
            if module is None:
                break
        if isinstance(module, nn.ModuleList):
            return module
    raise ValueError(f"cannot find the transformer layers of {type(model).__name__}")


def embedding_modules(model: nn.Module) -> list[nn.Module]:
    base = base_model(model)
    if hasattr(base, "embeddings"):
        return [base.embeddings]
    return [m for m in (base.get_input_embeddings(), getattr(base, "wpe", None)) if m is not None]


def head_parameter_names(model: nn.Module) -> set[str]:
    """Parameters outside the base model (the classifier), plus BERT's pooler."""
    prefix = model.base_model_prefix + "."
    return {
        name
        for name, _ in model.named_parameters()
        if not name.startswith(prefix) or ".pooler." in name
    }


def layer_lr_scales(model: nn.Module, decay: float) -> dict[str, float]:
    """Layer-wise learning-rate decay (ULMFiT's discriminative fine-tuning, as in ELECTRA):
    the head and anything above the layers train at scale 1, the top layer at `decay`, the
    layer below at `decay`², …, the embeddings at `decay`^(L+1). Pretrained features low in the
    network change least. Works through a `peft` wrapper (names keep their module path)."""
    inner = model.get_base_model() if hasattr(model, "get_base_model") else model
    layers = transformer_layers(inner)
    depth = len(layers)
    scale_of: dict[int, float] = {}
    for index, layer in enumerate(layers):
        for parameter in layer.parameters():
            scale_of[id(parameter)] = decay ** (depth - index)
    for module in embedding_modules(inner):
        for parameter in module.parameters():
            scale_of[id(parameter)] = decay ** (depth + 1)
    return {name: scale_of.get(id(p), 1.0) for name, p in model.named_parameters()}
