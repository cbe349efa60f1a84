"""Fine-tuning a sequence classifier with the shared training loop.

Strategies: `full` (all weights), `head` (the encoder frozen, only the classification head —
and BERT's pooler, itself freshly initialized — trains), `lora` (low-rank adapters with
`peft`, merged back or kept as an adapter). `freeze_layers: N` also freezes the embeddings and
the N lowest transformer layers.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from lmforge.modeling.artifacts import ModelRef
from lmforge.modeling.layers import embedding_modules, head_parameter_names, transformer_layers
from lmforge.modeling.model import build_classifier
from lmforge.training.config import PrivacyConfig, PrivacyConfigError, TrainConfig
from lmforge.training.loop import TrainResult
from lmforge.training.run import history_frame, run_training, warm_up_new_weights
from lmforge.training.tasks import ClassificationTask

STRATEGIES = ("full", "head", "lora")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FinetuneSettings:
    """The `finetuning` parameters that shape the model (not the data or the loop)."""

    strategy: str = "full"
    freeze_layers: int = 0
    class_weighted_loss: bool = False
    max_length: int = 128
    lora: dict[str, Any] = field(default_factory=dict)
    # Steps that train only the new head (at `lr`) before the strategy's weights are touched:
    # a random head's first, large gradients never reach a pretrained encoder.
    head_warmup: dict[str, Any] = field(default_factory=dict)
    privacy: dict[str, Any] = field(default_factory=dict)  # DP-SGD (training/privacy.py)

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> FinetuneSettings:
        settings = cls(**{k: params[k] for k in cls.__dataclass_fields__ if k in params})
        if settings.strategy not in STRATEGIES:
            raise ValueError(
                f"finetuning.strategy must be one of {STRATEGIES}, not '{settings.strategy}'"
            )
        return settings

    @property
    def private(self) -> PrivacyConfig:
        return PrivacyConfig.from_dict(self.privacy)


def private_rows(train: pd.DataFrame, private: PrivacyConfig) -> pd.DataFrame:
    """The rows a private run trains on: augmented copies are left out, since a copy would
    let one review count several times against a guarantee stated per row."""
    if not private.enabled or "augmented" not in train.columns:
        return train
    kept = train[~train["augmented"].astype(bool)]
    if len(kept) < len(train):
        log.warning(
            "finetuning.privacy: %d augmented copies left out (the guarantee is per original row)",
            len(train) - len(kept),
        )
    return kept


def freeze_lowest(model: nn.Module, n_layers: int) -> None:
    """Freeze the embeddings and the `n_layers` lowest layers (nothing when 0)."""
    if n_layers <= 0:
        return
    layers = transformer_layers(model)
    if n_layers > len(layers):
        raise ValueError(
            f"finetuning.freeze_layers={n_layers} but the model has {len(layers)} layers"
        )
    for module in [*embedding_modules(model), *layers[:n_layers]]:
        module.requires_grad_(False)


def apply_strategy(model: nn.Module, settings: FinetuneSettings) -> nn.Module:
    """Set what trains; returns the model to train (a `PeftModel` for `lora`)."""
    if settings.strategy == "head":
        heads = head_parameter_names(model)
        for name, parameter in model.named_parameters():
            parameter.requires_grad_(name in heads)
        return model
    freeze_lowest(model, settings.freeze_layers)
    if settings.strategy == "full":
        return model
    from peft import LoraConfig, TaskType, get_peft_model
    from transformers.pytorch_utils import Conv1D

    lora = settings.lora
    extra = ["pooler"] if any(".pooler." in n for n, _ in model.named_parameters()) else []
    config = LoraConfig(
        task_type=TaskType.SEQ_CLS,
        r=lora.get("r", 8),
        lora_alpha=lora.get("alpha", 16),
        lora_dropout=lora.get("dropout", 0.1),
        target_modules=lora.get("target_modules"),
        modules_to_save=extra or None,
        # GPT-2's projections are Conv1D (weights stored input-first)
        fan_in_fan_out=any(isinstance(m, Conv1D) for m in model.modules()),
    )
    return get_peft_model(model, config)


def frame_fingerprint(*frames: pd.DataFrame) -> str:
    """A stable hash of the texts and labels of `frames` (part of a checkpoint's key)."""
    return str(
        sum(
            int(pd.util.hash_pandas_object(f[["text", "label"]], index=False).sum()) for f in frames
        )
        % (1 << 61)
    )


def class_weights(labels: np.ndarray, n_classes: int) -> torch.Tensor:
    """Inverse-frequency weights, mean 1 over the samples (`n / (k · count_c)`)."""
    counts = np.bincount(labels, minlength=n_classes).astype(np.float64)
    weights = len(labels) / (n_classes * np.maximum(counts, 1.0))
    return torch.tensor(weights, dtype=torch.float32)


def effective_max_length(model: nn.Module, requested: int) -> int:
    """`requested`, capped by the model's position embeddings."""
    limit = getattr(model.config, "max_position_embeddings", None)
    return min(requested, limit) if limit else requested


HEAD_SHARE = 0.25  # of the tokens kept from a long text, the share taken from its start


def encode(tokenizer: Any, texts: Sequence[str], max_length: int) -> list[list[int]]:
    """Token ids with the model's special tokens; a text longer than `max_length` keeps its
    first quarter and its last three quarters (head + tail truncation, Sun et al. 2019): the
    end of a review (the verdict) survives, and a decoder's last-token classifier reads the
    text's real last token."""
    encoded = tokenizer(list(texts), truncation=False, verbose=False)["input_ids"]
    head = max(1, int(max_length * HEAD_SHARE))
    return [
        ids if len(ids) <= max_length else ids[:head] + ids[len(ids) - (max_length - head) :]
        for ids in encoded
    ]


def ensure_padding(model: nn.Module, tokenizer: Any) -> None:
    """Decoder classifiers find the last real token through `pad_token_id`."""
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    if getattr(model.config, "pad_token_id", None) is None:
        model.config.pad_token_id = tokenizer.pad_token_id


def end_on_the_last_text_token(model: nn.Module, tokenizer: Any) -> None:
    """A decoder classifier reads the last token's state. In packed causal-LM pretraining the
    `[SEP]` closing a document is trained to predict the first token of an unrelated next
    document, so its state carries little about the text: classify from the text's own last
    token instead (the tokenizer stops appending `[SEP]`; it is saved with the classifier, so
    evaluation and serving encode the same way)."""
    from tokenizers import processors

    backend = getattr(tokenizer, "_tokenizer", None)
    if (
        getattr(model.config, "model_type", "") != "gpt2"
        or backend is None
        or tokenizer.cls_token is None
        or tokenizer.sep_token_id is None
    ):
        return
    probe = tokenizer(["a"])["input_ids"][0]
    if probe[-1] != tokenizer.sep_token_id:
        return
    cls = tokenizer.cls_token
    backend.post_processor = processors.TemplateProcessing(
        single=f"{cls} $A", pair=f"{cls} $A $B:1", special_tokens=[(cls, tokenizer.cls_token_id)]
    )


def label_index(frame: pd.DataFrame, classes: list[str]) -> np.ndarray:
    """Each row's label as its position in `classes`."""
    return frame["label"].map({c: i for i, c in enumerate(classes)}).to_numpy()


def classification_task(
    tokenizer: Any,
    train: pd.DataFrame,
    validation: pd.DataFrame,
    classes: list[str],
    max_length: int,
    seed: int,
    weighted: bool = False,
) -> ClassificationTask:
    """The training loop's task for `train` (validation for early stopping), tokenized."""
    train_labels = label_index(train, classes)
    return ClassificationTask(
        encode(tokenizer, train["text"], max_length),
        train_labels,
        encode(tokenizer, validation["text"], max_length),
        label_index(validation, classes),
        tokenizer.pad_token_id,
        len(classes),
        seed=seed,
        class_weights=class_weights(train_labels, len(classes)) if weighted else None,
    )


@dataclass
class FitOutcome:
    model: nn.Module
    result: TrainResult
    run_id: str | None
    max_length: int
    federation: dict[str, Any] | None = None  # clients, rows, rounds of a federated run

    @property
    def curves(self) -> pd.DataFrame:
        return history_frame(self.result.history)


def fit_classifier(
    model: nn.Module,
    tokenizer: Any,
    train: pd.DataFrame,
    validation: pd.DataFrame,
    classes: list[str],
    settings: FinetuneSettings,
    training: dict[str, Any],
    stage: str,
    fingerprint: dict[str, Any],
    checkpoint_root: str | None,
) -> FitOutcome:
    """Apply the strategy and train on `train`, early-stopping on validation macro-F1.
    `tokenizer` may be adjusted for the model (`end_on_the_last_text_token`): save it with it."""
    ensure_padding(model, tokenizer)
    end_on_the_last_text_token(model, tokenizer)
    max_length = effective_max_length(model, settings.max_length)
    private = settings.private
    task = classification_task(
        tokenizer,
        private_rows(train, private),
        validation,
        classes,
        max_length,
        TrainConfig.from_dict(training).seed,
        settings.class_weighted_loss,
    )
    warmup_steps = int(settings.head_warmup.get("steps", 0))
    if private.enabled and warmup_steps:
        raise PrivacyConfigError(
            "finetuning.head_warmup.steps must be 0 with finetuning.privacy.enabled (and "
            "finetuning.checkpoint_overrides.head_warmup.steps, fine-tuning a checkpoint): the "
            "warm-up would read the training rows without noise (use strategy 'head' for a "
            "private head, or warm a head on public data and pass it as init_from)"
        )
    if settings.strategy != "head":
        heads = head_parameter_names(model)
        args = (heads, settings.head_warmup, stage, fingerprint, checkpoint_root)
        warm_up_new_weights(model, task, training, *args)
    model = apply_strategy(model, settings)
    result, logger = run_training(
        model, task, training, stage, fingerprint, checkpoint_root, private
    )
    return FitOutcome(result.model, result, logger.run_id, max_length)


def fit_from(
    init: ModelRef,
    tokenizer: Any,
    train: pd.DataFrame,
    validation: pd.DataFrame,
    classes: list[str],
    finetuning: dict[str, Any],
    stage: str,
    checkpoint_root: str | None,
    random_weights: bool = False,
) -> tuple[FitOutcome, FinetuneSettings]:
    """Fine-tune a classifier from `init` with the `finetuning` parameters, in this process:
    the recipe (its weights, strategy, head warm-up, layer-wise decay) or, with
    `random_weights`, the no-pretraining baseline — the same architecture from random weights,
    strategy `full`, same budget, no layer-wise decay (random weights have nothing to keep).
    `lmforge.fitting.fit` chooses between this and a federated run."""
    from lmforge.tracking.lineage import path_md5

    seed, dropout = finetuning["training"]["seed"], finetuning.get("dropout")
    if random_weights:
        model = build_classifier(None, classes, init.config(), seed=seed, dropout=dropout)
        params = {**finetuning, "strategy": "full", "head_warmup": {}}
        settings = FinetuneSettings.from_params(params)
        training = {**finetuning["training"], "layer_lr_decay": 1.0}
        origin = {"init": "random", "config": init.config().to_dict()}
    else:
        model = build_classifier(init.location, classes, seed=seed, dropout=dropout)
        settings = FinetuneSettings.from_params(finetuning)
        training = finetuning["training"]
        origin = {"init": path_md5(init.path) or init.location, "settings": settings.__dict__}
    data = frame_fingerprint(train, validation)
    fingerprint = {**origin, "dropout": dropout, "data": data, "classes": classes}
    args = (train, validation, classes, settings, training, stage, fingerprint, checkpoint_root)
    return fit_classifier(model, tokenizer, *args), settings
