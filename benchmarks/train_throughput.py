"""Training throughput: lmforge's loop vs a bare PyTorch loop vs Hugging Face `Trainer`.

    python benchmarks/train_throughput.py [--steps 30] [--objectives clm,mlm]

Same model, batch, sequence length and optimizer (AdamW) for the three:
  (a) lmforge.training.loop.train on a packed token file (batches built on the fly),
  (b) a bare loop: forward, backward, step on pre-built batches, nothing else,
  (c) transformers.Trainer with its language-modeling collator.
Prints tokens/s of each — from the median step time, best of `--rounds` interleaved rounds
(each loop first in turn), so a noisy neighbour on a shared machine does not decide the
ratio — the ratios a/b and a/c, and MFU against an fp32 GEMM rate measured in the same run.
Targets: a/b >= 0.95 and a/c >= 1.0, for the default model and for a 4-layer, 256-wide model
at sequence length 128. The figures go to benchmarks/results/train_throughput.json
(docs/benchmarks.md's table comes from there).
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

from lmforge.data.builtin import BuiltinConfig, generate_builtin_corpus
from lmforge.modeling.model import ModelConfig, build_language_model
from lmforge.modeling.tokenizer import train_tokenizer
from lmforge.training.flops import (
    flops_per_token,
    measured_cpu_gemm_flops,
    non_embedding_parameters,
    output_projection_parameters,
)
from lmforge.training.loop import TrainConfig, build_optimizer, train
from lmforge.training.packing import PackedTokens, write_packed_tokens
from lmforge.training.tasks import MASK_PROBABILITY, LanguageModelingTask, special_ids_of

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.recording import RESULTS, commit, record

SHAPES = {
    "default (2x128, T=64, B=32)": (ModelConfig(2, 128, 2, 512, 128, 0.1), 64, 32),
    "4x256, T=128, B=32": (ModelConfig(4, 256, 4, 1024, 128, 0.1), 128, 32),
}
WARMUP = 3
LOOPS = ["lmforge", "bare", "trainer"]


def corpus(tmp: Path):
    texts = generate_builtin_corpus(BuiltinConfig(n_documents=6000))["text"].dropna().tolist()
    texts = [t for t in texts if t.strip()]
    tokenizer = train_tokenizer(texts, vocab_size=4000)
    ids = tokenizer(texts, add_special_tokens=False, verbose=False)["input_ids"]
    write_packed_tokens(tmp / "tokens", [ids], len(tokenizer), tokenizer.sep_token_id)
    return tokenizer, PackedTokens(tmp / "tokens"), texts, special_ids_of(tokenizer)


def rate(tokens_per_step: int, step_seconds: list[float]) -> float:
    """Tokens/s from the median step time: steady-state speed, robust to a noisy neighbour."""
    return tokens_per_step / statistics.median(step_seconds[WARMUP:])


def lmforge_loop(model, task, batch_size: int, steps: int, compile: bool = False) -> float:
    config = TrainConfig(
        compile=compile,
        max_steps=steps + WARMUP,
        batch_size=batch_size,
        eval_every=10**9,
        log_every=1,
        progress_bar=False,
        warmup_ratio=0.0,
    )
    result = train(model, task, config)
    tokens = batch_size * task.seq_len
    return rate(tokens, [tokens / r["tokens_per_s"] for r in result.history if "tokens_per_s" in r])


def bare_loop(model, task, objective: str, batch_size: int, steps: int) -> float:
    batches = [task.global_batch(i, batch_size) for i in range(steps + WARMUP)]
    optimizer = build_optimizer(model, TrainConfig(max_steps=1))
    model.train()
    seconds = []
    for batch in batches:
        start = time.perf_counter()
        labels = batch["labels"]
        if objective == "clm":
            labels = torch.where(batch["attention_mask"].bool(), batch["input_ids"], -100)
        loss = model(
            input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], labels=labels
        ).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        seconds.append(time.perf_counter() - start)
    return rate(batch_size * task.seq_len, seconds)


def hf_trainer(
    model, tokenizer, texts, objective: str, seq_len: int, batch_size: int, steps: int
) -> float:
    from datasets import Dataset
    from transformers import (
        DataCollatorForLanguageModeling,
        Trainer,
        TrainerCallback,
        TrainingArguments,
    )

    class StepTimes(TrainerCallback):
        """Wall time between consecutive step ends (data loading + step, like ours)."""

        def __init__(self) -> None:
            self.marks: list[float] = []

        def on_step_end(self, args, state, control, **kwargs):
            self.marks.append(time.perf_counter())

    encoded = tokenizer(texts, truncation=True, max_length=seq_len, padding="max_length")
    dataset = Dataset.from_dict(
        {"input_ids": encoded["input_ids"], "attention_mask": encoded["attention_mask"]}
    )
    collator = DataCollatorForLanguageModeling(tokenizer, mlm=objective == "mlm")
    with tempfile.TemporaryDirectory() as out:
        args = TrainingArguments(
            output_dir=out,
            per_device_train_batch_size=batch_size,
            max_steps=steps + WARMUP,
            learning_rate=5e-4,
            report_to=[],
            save_strategy="no",
            logging_strategy="no",
            use_cpu=True,
            dataloader_num_workers=0,
            disable_tqdm=True,
            seed=0,
        )
        times = StepTimes()
        trainer = Trainer(
            model=model, args=args, train_dataset=dataset, data_collator=collator, callbacks=[times]
        )
        trainer.train()
    marks = times.marks
    return rate(batch_size * seq_len, [b - a for a, b in itertools.pairwise(marks)])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--objectives", default="clm,mlm")
    parser.add_argument(
        "--rounds",
        type=int,
        default=2,
        help="alternate the three loops this many times; keep each one's best",
    )
    parser.add_argument(
        "--attn", default="sdpa", choices=("sdpa", "eager"), help="attention implementation"
    )
    parser.add_argument("--compile", action="store_true", help="torch.compile the lmforge loop")
    parser.add_argument("--shapes", default=None, help="only the shapes whose name has this")
    parser.add_argument("--results", type=Path, default=RESULTS / "train_throughput.json")
    args = parser.parse_args()
    measured_at = commit()
    entries = {}
    gemm = measured_cpu_gemm_flops()
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
        f"measured fp32 GEMM {gemm / 1e9:.1f} GFLOP/s, attention {args.attn}"
        + (", lmforge loop compiled" if args.compile else "")
    )
    with tempfile.TemporaryDirectory() as tmp:
        tokenizer, packed, texts, special = corpus(Path(tmp))
        for objective in args.objectives.split(","):
            for name, (shape, seq_len, batch) in SHAPES.items():
                if args.shapes and args.shapes not in name:
                    continue
                task = LanguageModelingTask(packed, objective, special, seq_len, seed=0)
                config = shape.to_hf(objective, tokenizer)
                config._attn_implementation = args.attn
                best = dict.fromkeys(LOOPS, 0.0)
                for round_ in range(args.rounds):  # interleaved, each first in turn: machine
                    order = LOOPS[round_ % 3 :] + LOOPS[: round_ % 3]  # noise hits all three
                    for loop in order:
                        model = build_language_model(objective, config)
                        if loop == "lmforge":
                            speed = lmforge_loop(model, task, batch, args.steps, args.compile)
                        elif loop == "bare":
                            speed = bare_loop(model, task, objective, batch, args.steps)
                        else:
                            speed = hf_trainer(
                                model, tokenizer, texts, objective, seq_len, batch, args.steps
                            )
                        best[loop] = max(best[loop], speed)
                ours, bare, stock = best["lmforge"], best["bare"], best["trainer"]
                model = build_language_model(objective, config)
                per_token = flops_per_token(
                    non_embedding_parameters(model), shape.n_layers, shape.d_model, seq_len
                )
                # the vocabulary projection: every position (CLM), the masked ones (MLM)
                projected = 1.0 if objective == "clm" else MASK_PROBABILITY
                per_token += 6.0 * output_projection_parameters(model) * projected
                print(
                    f"{objective} {name}: lmforge {ours:,.0f} tok/s | bare {bare:,.0f} | "
                    f"HF Trainer {stock:,.0f} | a/b {ours / bare:.2f} | a/c {ours / stock:.2f}"
                    f" | MFU vs GEMM: lmforge {ours * per_token / gemm:.2f}, bare "
                    f"{bare * per_token / gemm:.2f}, Trainer {stock * per_token / gemm:.2f}"
                )
                entries[f"{objective}, {name}"] = {
                    "lmforge_tokens_per_s": round(ours),
                    "bare_tokens_per_s": round(bare),
                    "trainer_tokens_per_s": round(stock),
                    "mfu": round(ours * per_token / gemm, 2),
                    "gemm_gflops": round(gemm / 1e9, 1),
                    "steps": args.steps,
                    "rounds": args.rounds,
                }
    record(args.results, entries, measured_at)
    print(f"results: {args.results}")


if __name__ == "__main__":
    main()
