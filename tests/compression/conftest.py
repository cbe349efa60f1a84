"""Tiny GPT-2 and BERT classifiers (random weights; `tokenizer`: tests/conftest.py)."""

from __future__ import annotations

import pytest
import torch

from lmforge.modeling.model import ModelConfig, build_classifier

TINY = ModelConfig(n_layers=2, d_model=32, n_heads=2, d_ff=64, max_length=64, dropout=0.0)
CLASSES = ["negative", "neutral", "positive"]


def tiny_classifier(tokenizer, objective: str, seed: int = 0):
    model = build_classifier(None, CLASSES, TINY.to_hf(objective, tokenizer), seed=seed).eval()
    with torch.no_grad():  # larger head weights: clear-cut predictions, not near-ties
        for parameter in model.parameters():
            parameter.mul_(3.0) if parameter.dim() == 2 else None
    return model


@pytest.fixture(params=["clm", "mlm"], ids=["gpt2", "bert"])
def classifier(request, tokenizer):
    return tiny_classifier(tokenizer, request.param)
