"""Tiny packed corpora and models (`texts`, `tokenizer`: tests/conftest.py)."""

from __future__ import annotations

import pytest

from lmforge.modeling.model import ModelConfig, build_language_model
from lmforge.modeling.packing import PackedTokens, write_packed_tokens
from lmforge.modeling.tasks import LanguageModelingTask, special_ids_of

TINY = ModelConfig(n_layers=1, d_model=32, n_heads=2, d_ff=64, max_length=64, dropout=0.0)


@pytest.fixture(scope="session")
def packed(tmp_path_factory, texts, tokenizer) -> PackedTokens:
    path = tmp_path_factory.mktemp("tokens") / "packed"
    ids = tokenizer(texts, add_special_tokens=False)["input_ids"]
    write_packed_tokens(path, [ids[:300], ids[300:]], len(tokenizer), tokenizer.sep_token_id)
    return PackedTokens(path)


def lm_task(packed, tokenizer, objective="mlm", seed=0) -> LanguageModelingTask:
    return LanguageModelingTask(
        packed,
        objective,
        special_ids_of(tokenizer),
        seq_len=32,
        seed=seed,
        val_fraction=0.05,
        eval_windows=16,
    )


def tiny_lm(tokenizer, objective="mlm", seed=0):
    return build_language_model(objective, TINY.to_hf(objective, tokenizer), seed)
