"""Measuring compressed variants against their teacher, fairly: every model in one process, on
the same threads and texts, timed in interleaved rounds (the order rotates every round) so that
a noisy machine slows all of them alike; the median round counts."""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lmforge.classification.inference import predict_proba
from lmforge.evaluation import KEPT_METRICS
from lmforge.evaluation.metrics import classification_report

WEIGHT_SUFFIXES = (".safetensors", ".onnx", ".bin", ".pt")


@dataclass
class Candidate:
    """A loaded model ready to score: what `measure` needs of each variant."""

    model: Any
    tokenizer: Any
    max_length: int
    folder: Path


def parameter_count(model: Any) -> int:
    """Weights of a torch model, or the initializers of an ONNX graph (int8 counts as one)."""
    graph = getattr(model, "graph", None)
    if isinstance(graph, bytes):
        import onnx

        initializers = onnx.load_model_from_string(graph).graph.initializer
        return int(sum(np.prod(t.dims) for t in initializers))
    return int(sum(p.numel() for p in model.parameters()))


def size_on_disk(folder: Path) -> int:
    """Bytes of the weight files in a model folder (tokenizer and side files excluded)."""
    return sum(f.stat().st_size for f in Path(folder).rglob("*") if f.suffix in WEIGHT_SUFFIXES)


def _timed(candidate: Candidate, texts: Sequence[str], batch_size: int) -> float:
    start = time.perf_counter()
    predict_proba(
        candidate.model, candidate.tokenizer, texts, candidate.max_length, batch_size, "cpu"
    )
    return time.perf_counter() - start


def _speed(
    candidates: dict[str, Candidate],
    texts: Sequence[str],
    rounds: int,
    batch_size: int,
    latency_texts: int,
) -> dict[str, dict[str, float]]:
    names = list(candidates)
    throughput: dict[str, list[float]] = {n: [] for n in names}
    latency: dict[str, list[float]] = {n: [] for n in names}
    for name in names:  # warm-up: first calls allocate and pick kernels
        _timed(candidates[name], texts[:batch_size], batch_size)
    for round_ in range(rounds):
        for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
            candidate = candidates[name]
            throughput[name].append(len(texts) / _timed(candidate, texts, batch_size))
            singles = [_timed(candidate, [t], 1) for t in texts[:latency_texts]]
            latency[name].append(1000.0 * sum(singles) / len(singles))
    return {
        name: {
            "texts_per_s": statistics.median(throughput[name]),
            "latency_ms_batch1": statistics.median(latency[name]),
        }
        for name in names
    }


def measure(
    candidates: dict[str, Candidate],
    test_texts: Sequence[str],
    test_labels: np.ndarray,
    classes: list[str],
    reference: str = "teacher",
    rounds: int = 3,
    batch_size: int = 64,
    timing_texts: int = 512,
    latency_texts: int = 32,
) -> dict[str, dict[str, float]]:
    """Per model: accuracy and macro-F1 on the whole test split, parameters, bytes on disk,
    ms per text at batch 1, texts/s at `batch_size`, and each ratio to `reference`."""
    report: dict[str, dict[str, float]] = {}
    for name, candidate in candidates.items():
        probabilities = predict_proba(
            candidate.model,
            candidate.tokenizer,
            list(test_texts),
            candidate.max_length,
            batch_size,
            "cpu",
        )
        metrics = classification_report(test_labels, probabilities, classes)["metrics"]
        report[name] = {
            **{k: float(metrics[k]) for k in KEPT_METRICS},
            "parameters": float(parameter_count(candidate.model)),
            "size_bytes": float(size_on_disk(candidate.folder)),
        }
    texts = list(test_texts[:timing_texts])
    speed = _speed(candidates, texts, rounds, batch_size, latency_texts)
    base = {**report[reference], **speed[reference]}
    for name in candidates:
        report[name].update(speed[name])
        report[name]["batch_size"] = float(batch_size)
        for key in ("texts_per_s", "latency_ms_batch1", "parameters", "size_bytes"):
            report[name][f"{key}_ratio"] = report[name][key] / base[key] if base[key] else 0.0
        for key in KEPT_METRICS:
            report[name][f"{key}_delta"] = report[name][key] - base[key]
    return report


def pareto_figure(report: dict[str, dict[str, float]]):
    """Macro-F1 against texts/s, one point per model, the Pareto-optimal ones joined."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6, 4))
    points = sorted((v["texts_per_s"], v["macro_f1"], k) for k, v in report.items())
    for speed, score, name in points:
        axes.scatter(speed, score)
        axes.annotate(name, (speed, score), textcoords="offset points", xytext=(4, 4))
    front, best = [], -1.0
    for speed, score, _ in sorted(points, reverse=True):
        if score > best:
            front.append((speed, score))
            best = score
    axes.plot(*zip(*sorted(front)), linestyle="--", alpha=0.6, label="Pareto front")
    axes.set_xlabel("texts per second (batch 64, CPU)")
    axes.set_ylabel("test macro-F1")
    axes.set_title("Compression: quality against speed")
    axes.legend()
    figure.tight_layout()
    return figure
