"""Class probabilities for raw-text batches: used by evaluation and by the served model."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from lmforge.classification.finetune import encode
from lmforge.training.device import resolve_device, resolve_precision
from lmforge.training.tasks import predict_logits


def predict_proba(
    model: Any,
    tokenizer: Any,
    texts: Sequence[str],
    max_length: int = 128,
    batch_size: int = 64,
    device: str = "auto",
) -> np.ndarray:
    """Softmax probabilities, one row per text, columns in the model's label order."""
    if len(texts) == 0:
        return np.zeros((0, model.config.num_labels), dtype=np.float32)
    target = resolve_device(device)
    model.to(target)
    logits = predict_logits(
        model,
        encode(tokenizer, texts, max_length),
        tokenizer.pad_token_id,
        target,
        resolve_precision("auto", target),
        batch_size,
    )
    return torch.softmax(logits, dim=-1).numpy()
