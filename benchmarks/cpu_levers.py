"""CPU levers of the CLM training step, one at a time: activation kernel, dropout, threads.

    python benchmarks/cpu_levers.py [--rounds 6] [--steps 7]

One training step (forward, backward, fused AdamW) of a GPT-2 built by lmforge's
`ModelConfig` (4 layers × 256, T = 128, B = 32, vocabulary 4,000) on random tokens. The
variants are interleaved round by round, so machine noise hits them alike; each prints the
median tokens/s over its steps (the first two steps of the first round are warm-up):

- activation: `gelu_new` (GPT-2's original, five elementwise ops) vs `gelu_pytorch_tanh`
  (torch's fused kernel, the same function; lmforge's default), with dropout 0.1 and 0;
- threads: 1, 2 and 4 intra-op threads (the machine's cores: 2 here).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch

from lmforge.modeling.model import ModelConfig, build_language_model
from lmforge.training.objectives import CausalLMObjective

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.recording import RESULTS, commit, record

BATCH, SEQ_LEN, VOCAB = 32, 128, 4000


class _Tokenizer:
    pad_token_id, cls_token_id, sep_token_id = 0, 1, 2

    def __len__(self) -> int:
        return VOCAB


def training_step(activation: str, dropout: float):
    """A closure running one training step of a fresh model."""
    config = ModelConfig(4, 256, 4, 1024, SEQ_LEN, dropout).to_hf("clm", _Tokenizer())
    config.activation_function = activation
    model = build_language_model("clm", config)
    objective = CausalLMObjective(model).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, fused=True)
    ids = torch.randint(3, VOCAB, (BATCH, SEQ_LEN))
    mask = torch.ones_like(ids)

    def step() -> None:
        loss = objective(ids, mask, ids) / ids.numel()
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    return step


def interleaved(variants: dict[str, tuple], rounds: int, steps: int) -> dict[str, float]:
    """`variants`: name → (step closure, threads). Prints each one's median tokens/s."""
    default_threads = torch.get_num_threads()
    seconds: dict[str, list[float]] = {name: [] for name in variants}
    for round_ in range(rounds):
        for name, (step, threads) in variants.items():
            torch.set_num_threads(threads or default_threads)
            for index in range(steps):
                start = time.perf_counter()
                step()
                if round_ or index >= 2:
                    seconds[name].append(time.perf_counter() - start)
    torch.set_num_threads(default_threads)
    rates = {}
    for name, values in seconds.items():
        rates[name] = rate = BATCH * SEQ_LEN / statistics.median(values)
        print(f"  {name:42} {rate:8,.0f} tokens/s (median of {len(values)} steps)", flush=True)
    return rates


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--steps", type=int, default=7)
    parser.add_argument("--results", type=Path, default=RESULTS / "cpu_levers.json")
    args = parser.parse_args()
    measured_at = commit()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads by default")
    print("activation and dropout:")
    rates = interleaved(
        {
            f"{activation}, dropout {dropout}": (training_step(activation, dropout), None)
            for activation in ("gelu_new", "gelu_pytorch_tanh")
            for dropout in (0.1, 0.0)
        },
        args.rounds,
        args.steps,
    )
    print("intra-op threads (gelu_pytorch_tanh, dropout 0.1):")
    step = training_step("gelu_pytorch_tanh", 0.1)
    rates |= interleaved({f"{n} threads": (step, n) for n in (1, 2, 4)}, args.rounds, args.steps)
    baseline = rates["gelu_new, dropout 0.1"]
    written = json.loads(args.results.read_text()) if args.results.is_file() else {}
    entries = {
        name: {
            "tokens_per_s": round(rate),
            "gain": f"{100 * (rate / baseline - 1):+.0f}%",
            "decision": written.get(name, {}).get("decision", ""),  # what we did about it
        }
        for name, rate in rates.items()
    }
    record(args.results, entries, measured_at)
    print(f"results: {args.results}")


if __name__ == "__main__":
    main()
