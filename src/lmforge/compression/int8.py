"""Post-training dynamic int8 quantization for CPU serving: ONNX export + ONNX Runtime.

The classifier is exported with `torch.onnx.export` (inputs `input_ids`, `attention_mask`;
output `logits`; dynamic batch and length) and its MatMul/Gemm weights quantized to int8 by
`onnxruntime.quantization.quantize_dynamic` (activations quantized on the fly). torchao's
`quantize_` was measured first: its int8 dynamic path gave 1.03× on 2 CPU cores in eager mode
(its fast kernels need torch.compile and target GPUs), ONNX Runtime gave 1.8–2×.

`OnnxClassifier` answers like a Hugging Face classifier (`model(input_ids=…,
attention_mask=…).logits`, `.config`, `.eval()`, `.to()`), so evaluation, the label-efficiency
code and the MLflow pyfunc use it unchanged.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import torch
from torch import nn
from transformers import AutoConfig, PretrainedConfig

ONNX_FILE = "model.int8.onnx"
_INPUTS = ("input_ids", "attention_mask")


class _LogitsOnly(nn.Module):
    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.model(input_ids=input_ids, attention_mask=attention_mask).logits


def export_int8(model: nn.Module, opset: int = 17) -> bytes:
    """The int8-quantized ONNX graph of a sequence classifier."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model = model.cpu().eval()
    example = torch.tensor([[1, 2, 3, 4]], dtype=torch.long)
    with tempfile.TemporaryDirectory() as tmp:
        fp32, int8 = Path(tmp) / "model.onnx", Path(tmp) / ONNX_FILE
        axes = {name: {0: "batch", 1: "length"} for name in _INPUTS}
        torch.onnx.export(
            _LogitsOnly(model),
            (example, torch.ones_like(example)),
            str(fp32),
            input_names=list(_INPUTS),
            output_names=["logits"],
            dynamic_axes={**axes, "logits": {0: "batch"}},
            opset_version=opset,
            dynamo=False,  # the TorchScript exporter: no onnxscript, stable for HF models
        )
        quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8)
        return int8.read_bytes()


class OnnxClassifier:
    """An int8 ONNX classifier with the call interface of a Hugging Face one (CPU only). It
    holds the graph's bytes, so it outlives the file it was read from."""

    def __init__(self, graph: bytes, config: PretrainedConfig, threads: int | None = None):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or torch.get_num_threads()
        options.inter_op_num_threads = 1
        # Idle ONNX Runtime threads must not spin: they would steal the cores from whatever
        # runs next in the process (torch models measured beside this one, a server's I/O).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.graph, self.config, self.training = graph, config, False
        self.session = ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])

    @classmethod
    def from_folder(cls, folder: Path) -> OnnxClassifier:
        graph = (Path(folder) / ONNX_FILE).read_bytes()
        return cls(graph, AutoConfig.from_pretrained(str(folder)))

    def __call__(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, **_: Any):
        feed = {
            "input_ids": input_ids.cpu().numpy(),
            "attention_mask": attention_mask.cpu().numpy(),
        }
        (logits,) = self.session.run(["logits"], feed)
        return SimpleNamespace(logits=torch.from_numpy(logits))

    def eval(self) -> OnnxClassifier:
        return self

    def train(self, mode: bool = True) -> OnnxClassifier:
        return self

    def to(self, device: Any) -> OnnxClassifier:
        return self  # runs on CPU; inputs on another device are copied over

    def parameters(self):
        return iter(())

    def save_pretrained(self, folder: str | Path) -> None:
        """The ONNX graph and `config.json` (labels, architecture), as a model folder."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / ONNX_FILE).write_bytes(self.graph)
        self.config.save_pretrained(str(folder))


def quantize_classifier(model: nn.Module) -> OnnxClassifier:
    """The int8 ONNX twin of `model`."""
    return OnnxClassifier(export_int8(model), model.config)
