"""A tiny pretraining run in its own process, for the kill -9 / resume test.

usage: python -m tests.modeling.train_script CHECKPOINT_DIR RESULT_JSON [SLOW_SECONDS]
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from lmforge.data.builtin import BuiltinConfig, generate_builtin_corpus
from lmforge.modeling.model import ModelConfig, build_language_model
from lmforge.modeling.packing import PackedTokens, write_packed_tokens
from lmforge.modeling.tasks import LanguageModelingTask, special_ids_of
from lmforge.modeling.tokenizer import train_tokenizer
from lmforge.modeling.trainer import TrainConfig, train

CONFIG = TrainConfig(
    max_steps=24,
    batch_size=8,
    lr=3e-3,
    log_every=4,
    eval_every=8,
    checkpoint_every=8,
    progress_bar=False,
    seed=7,
)


def main(checkpoint_dir: str, result_path: str, slow: float = 0.0) -> None:
    import torch

    torch.set_num_threads(1)
    texts = generate_builtin_corpus(BuiltinConfig(n_documents=300, dirty_fraction=0.0))["text"]
    tokenizer = train_tokenizer(texts.tolist(), vocab_size=300)
    tokens_dir = Path(checkpoint_dir).parent / "tokens"
    write_packed_tokens(
        tokens_dir,
        [tokenizer(texts.tolist(), add_special_tokens=False)["input_ids"]],
        len(tokenizer),
        tokenizer.sep_token_id,
    )
    task = LanguageModelingTask(
        PackedTokens(tokens_dir), "mlm", special_ids_of(tokenizer), seq_len=32, seed=3
    )
    model = build_language_model(
        "mlm",
        ModelConfig(n_layers=1, d_model=32, n_heads=2, d_ff=64, max_length=64).to_hf(
            "mlm", tokenizer
        ),
    )

    def pace(step: int, metrics: dict) -> None:
        print(f"STEP {step}", flush=True)
        time.sleep(slow)

    result = train(model, task, CONFIG, Path(checkpoint_dir), callbacks=[pace])
    Path(result_path).write_text(
        json.dumps(
            {
                "final": result.final_metrics,
                "resumed_from": result.resumed_from,
                "train_loss": [r["train_loss"] for r in result.history if "train_loss" in r],
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]) if len(sys.argv) > 3 else 0.0)
