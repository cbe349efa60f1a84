"""A tiny pretraining run in its own process, for the kill -9 / resume test.

usage: python -m tests.training.train_script CHECKPOINT_DIR RESULT_JSON [SLOW_SECONDS]

With `LMFORGE_FAIL_CHECKPOINT_AT=<step>` the checkpoint write of that step fails as on a full
disk (ENOSPC), for benchmarks/chaos_resume.py.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from lmforge.data.builtin import BuiltinConfig, generate_builtin_corpus
from lmforge.modeling.model import ModelConfig, build_language_model
from lmforge.modeling.tokenizer import train_tokenizer
from lmforge.training.finished import clear_finished_checkpoints
from lmforge.training.loop import TrainConfig, train
from lmforge.training.packing import PackedTokens, write_packed_tokens
from lmforge.training.tasks import LanguageModelingTask, special_ids_of

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


def launch(
    checkpoints: Path, result: Path, slow: float = 0.0, env: dict[str, str] | None = None
) -> subprocess.Popen:
    """This script in its own process (stdout: one `STEP n` line per logged step)."""
    from tests.conftest import PROJECT_ROOT, project_env

    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.training.train_script",
            str(checkpoints),
            str(result),
            str(slow),
        ],
        cwd=PROJECT_ROOT,
        env=project_env(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def fail_checkpoint_at(step: int) -> None:
    """Make the weights write of the checkpoint at `step` fail half-way, as on a full disk."""
    from lmforge.training import checkpoint

    original = checkpoint.save_model

    def save_model(model, filename: str, *args, **kwargs):
        if Path(filename).parent.name.startswith(f".step_{step:08d}"):
            Path(filename).write_bytes(b"half a file")
            raise OSError(errno.ENOSPC, "No space left on device", filename)
        return original(model, filename, *args, **kwargs)

    checkpoint.save_model = save_model


def main(checkpoint_dir: str, result_path: str, slow: float = 0.0) -> None:
    import torch

    if os.environ.get("LMFORGE_FAIL_CHECKPOINT_AT"):
        fail_checkpoint_at(int(os.environ["LMFORGE_FAIL_CHECKPOINT_AT"]))

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

    result = train(model, task, CONFIG, Path(checkpoint_dir), [pace], clear_on_success=False)
    Path(result_path).write_text(
        json.dumps(
            {
                "final": result.final_metrics,
                "resumed_from": result.resumed_from,
                "train_loss": [r["train_loss"] for r in result.history if "train_loss" in r],
                "weights_sha256": hashlib.sha256(
                    b"".join(
                        t.detach().numpy().tobytes() for t in result.model.state_dict().values()
                    )
                ).hexdigest(),
            }
        )
    )
    clear_finished_checkpoints()  # the result is saved: as the pipeline's hook does


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]) if len(sys.argv) > 3 else 0.0)
