import torch

from lmforge.training.flops import (
    PEAK_FLOPS_BF16,
    flops_per_token,
    mfu,
    non_embedding_parameters,
    output_projection_parameters,
    peak_flops,
)


def test_palm_formula():
    # 6N + 12·L·d·T: N=1e6, L=2, d=128, T=64
    assert flops_per_token(1_000_000, 2, 128, 64) == 6e6 + 12 * 2 * 128 * 64


def test_non_embedding_parameters_skip_embedding_tables():
    model = torch.nn.Sequential(torch.nn.Embedding(100, 8), torch.nn.Linear(8, 4))
    assert non_embedding_parameters(model) == 8 * 4 + 4


def test_peaks_and_mfu():
    assert PEAK_FLOPS_BF16["H100 SXM"] == 989e12 and PEAK_FLOPS_BF16["H200"] == 989e12
    peak, source = peak_flops(torch.device("cpu"))
    assert peak > 1e8 and source == "measured fp32 GEMM"
    assert mfu(50.0, 100.0) == 0.5 and mfu(1.0, None) is None


def test_a_language_models_vocabulary_projection_is_counted(tokenizer):
    from lmforge.modeling.model import build_language_model
    from tests.conftest import TINY

    for objective in ("clm", "mlm"):
        model = build_language_model(objective, TINY.to_hf(objective, tokenizer))
        assert output_projection_parameters(model) == len(tokenizer) * TINY.d_model
    assert output_projection_parameters(torch.nn.Linear(4, 2)) == 0
