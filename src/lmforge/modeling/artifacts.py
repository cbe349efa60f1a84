"""Model folders in Hugging Face format: what a training node returns (`ModelBundle`) and what
the catalog hands to the next node (`ModelRef`, a lazy reference to a folder or a hub id).

A folder holds `config.json`, `model.safetensors` and the tokenizer files, plus lmforge's JSON
side files (`label_map.json`, `lmforge_lineage.json`). A LoRA classifier saved as an adapter
holds the adapter files and, under `base/`, the model it adapts, so the folder stands alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from transformers import AutoModelForSequenceClassification

from lmforge.files import atomic_directory
from lmforge.modeling.model import load_config, load_tokenizer, resolve_location
from lmforge.modeling.side_files import LINEAGE_FILE, SKIPPED_FILE

ADAPTER_CONFIG = "adapter_config.json"
ADAPTER_BASE = "base"


@dataclass
class ModelBundle:
    """A model, its tokenizer, and JSON side files, saved together as one folder."""

    model: Any
    tokenizer: Any
    files: dict[str, Any] = field(default_factory=dict)
    adapter_base: Any | None = None  # the base model of an unmerged LoRA adapter

    @classmethod
    def skipped(cls, reason: str) -> ModelBundle:
        """No model, on purpose (a switched-off baseline): the folder says why."""
        return cls(None, None, files={SKIPPED_FILE: {"reason": reason}})

    def save(self, path: str | Path) -> None:
        """Write into a temp folder, then swap it in: readers never see half a model."""
        with atomic_directory(Path(path)) as tmp:
            if self.model is not None:
                self.model.save_pretrained(tmp)
                self.tokenizer.save_pretrained(tmp)
            if self.adapter_base is not None:
                self._base_without_adapter().save_pretrained(tmp / ADAPTER_BASE)
            for name, content in self.files.items():
                text = json.dumps(content, indent=2, ensure_ascii=False, default=str)
                (tmp / name).write_text(text)

    def _base_without_adapter(self) -> Any:
        """The adapted model's base with its original layers: peft injects the LoRA layers
        into the base model itself, and saving that would store `base_layer`/`lora_*` keys
        that a plain reload drops (its attention weights would be re-initialized)."""
        if hasattr(self.model, "unload"):
            import copy

            return copy.deepcopy(self.model).unload()
        return self.adapter_base


@dataclass(frozen=True)
class ModelRef:
    """A model by location: a local folder, a hub id, or `pkg://package/subdir`."""

    location: str

    @property
    def path(self) -> Path:
        return Path(resolve_location(self.location))

    def exists(self) -> bool:
        return (self.path / "config.json").is_file() or (self.path / ADAPTER_CONFIG).is_file()

    @property
    def skipped(self) -> bool:
        return (self.path / SKIPPED_FILE).is_file()

    @property
    def is_adapter(self) -> bool:
        return (self.path / ADAPTER_CONFIG).is_file()

    def config(self):
        return load_config(str(self.path / ADAPTER_BASE) if self.is_adapter else self.location)

    def tokenizer(self):
        return load_tokenizer(self.location)

    def side_file(self, name: str) -> Any | None:
        path = self.path / name
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None

    @property
    def from_checkpoint(self) -> bool:
        """Whether these weights started from a pretrained checkpoint (a package, a folder, a
        hub id) rather than from scratch in an lmforge pretraining run."""
        lineage = self.side_file(LINEAGE_FILE) or {}
        params = (lineage.get("pretraining") or {}).get("params") or {}
        return (params.get("pretraining") or {}).get("init_from", "") != "scratch"

    def load_classifier(self) -> Any:
        """The saved sequence classifier: plain, base + LoRA adapter, or int8 ONNX."""
        from lmforge.compression.int8 import ONNX_FILE, OnnxClassifier

        if (self.path / ONNX_FILE).is_file():
            return OnnxClassifier.from_folder(self.path)
        if not self.is_adapter:
            return AutoModelForSequenceClassification.from_pretrained(str(self.path))
        from peft import PeftModel

        base = AutoModelForSequenceClassification.from_pretrained(str(self.path / ADAPTER_BASE))
        return PeftModel.from_pretrained(base, str(self.path))


def resolve_init(pretrained: ModelRef, init_from: str) -> ModelRef:
    """`finetuning.init_from`: `pretrained` means the pretraining pipeline's output; anything
    else is a location (a folder, a hub id, `pkg://…`)."""
    return pretrained if init_from == "pretrained" else ModelRef(init_from)
