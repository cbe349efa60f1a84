"""Model FLOPs per token (PaLM, appendix B) and model FLOPs utilization (MFU).

FLOPs per token for a forward + backward pass: 6·N + 12·L·d·T, with N the non-embedding
parameters, L layers, d the hidden size and T the sequence length; plus, for a language model,
6·V·d for every position projected onto the vocabulary (a tied output projection is an
embedding table, so N leaves it out, but its matrix product is real work: nanoGPT and nanochat
count it too). CLM projects every position, MLM only the masked ones. MFU is the achieved
FLOP/s over the device's peak: dense bf16 tensor-core peaks for known GPUs, and on a CPU a
GEMM rate measured on the spot (so MFU there reads "fraction of what this CPU's matmul does").
"""

from __future__ import annotations

import functools
import time

import torch

# Dense (non-sparse) bf16 tensor-core peaks, FLOP/s, by a substring of the device name.
PEAK_FLOPS_BF16: dict[str, float] = {
    "B200": 2250e12,
    "H200": 989e12,
    "H100 SXM": 989e12,
    "H100 NVL": 835e12,
    "H100 PCIe": 756e12,
    "H100": 989e12,
    "GH200": 989e12,
    "A100": 312e12,
    "L40S": 362e12,
    "L40": 181e12,
    "L4": 121e12,
    "A10G": 70e12,
    "A10": 125e12,
    "RTX 4090": 165e12,
    "RTX 3090": 71e12,
    "V100": 125e12,
    "T4": 65e12,
}


def flops_per_token(n_params: int, n_layers: int, d_model: int, seq_len: int) -> float:
    """Training FLOPs per token: 6N for the weights, 12·L·d·T for attention scores and values."""
    return 6.0 * n_params + 12.0 * n_layers * d_model * seq_len


def output_projection_parameters(model: torch.nn.Module) -> int:
    """V·d of a language model's vocabulary projection (0 when it has none)."""
    head = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    return int(head.weight.numel()) if head is not None else 0


def non_embedding_parameters(model: torch.nn.Module) -> int:
    """Parameters outside embedding tables (the N of the formula)."""
    embedding_ids = {
        id(p) for m in model.modules() if isinstance(m, torch.nn.Embedding) for p in m.parameters()
    }
    return sum(p.numel() for p in model.parameters() if id(p) not in embedding_ids)


@functools.lru_cache(maxsize=1)
def measured_cpu_gemm_flops(size: int = 1024, repeats: int = 8) -> float:
    """FLOP/s of an fp32 square matmul on this CPU, with its current thread count."""
    generator = torch.Generator().manual_seed(0)  # leave the global RNG (dropout) untouched
    a = torch.randn(size, size, generator=generator)
    b = torch.randn(size, size, generator=generator)
    torch.mm(a, b)
    start = time.perf_counter()
    for _ in range(repeats):
        torch.mm(a, b)
    return 2.0 * size**3 * repeats / (time.perf_counter() - start)


def peak_flops(device: torch.device) -> tuple[float | None, str]:
    """The peak the MFU is measured against, and where it comes from."""
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
        for key, value in PEAK_FLOPS_BF16.items():
            if key in name:
                return value, f"table:{key}"
        return None, f"unknown GPU '{name}'"
    if device.type == "cpu":
        return measured_cpu_gemm_flops(), "measured fp32 GEMM"
    return None, f"no peak for {device.type}"


def mfu(flops_per_second: float, peak: float | None) -> float | None:
    return None if not peak else flops_per_second / peak
