"""A name for each MLflow run that reads well in a list of runs: what was trained, how, on
what, and by which pipelines (for example `clm 2x128 · full · builtin`)."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

SEP = " · "


def _model(pretraining: dict[str, Any]) -> str:
    init_from = str(pretraining.get("init_from", "scratch"))
    if init_from != "scratch":  # a checkpoint's folder name (its package's, for `…/model`)
        path = PurePath(init_from.removeprefix("pkg://").rstrip("/"))
        return path.parent.name if path.name == "model" and path.parent.name else path.name
    shape = pretraining.get("model") or {}
    return f"{pretraining.get('objective', '?')} {shape.get('n_layers')}x{shape.get('d_model')}"


def _data(source: dict[str, Any], split: dict[str, Any]) -> str:
    kind = str(source.get("kind", "?"))
    where = source.get("path")
    name = PurePath(str(where)).name if where and kind != "builtin" else kind
    budget = split.get("train_label_budget")
    return f"{name} ({budget} labels)" if budget else name


def run_name(params: dict[str, Any], pipeline_names: list[str] | None) -> str:
    """`<model> · <strategy> · <data>`, plus the pipelines when not the default chain; a
    private fine-tuning reads `lora dp ε=8`, a federated one `full fedavg 4 clients` (or
    `full fedavg by source`, `full fedavg 4 clients α=0.3`)."""
    finetuning = params.get("finetuning") or {}
    strategy = str(finetuning.get("strategy", "?"))
    privacy = finetuning.get("privacy") or {}
    if privacy.get("enabled"):
        strategy += f" dp ε={privacy.get('target_epsilon'):g}"
    federated = finetuning.get("federated") or {}
    if federated.get("enabled"):
        if federated.get("partition_by"):
            strategy += f" fedavg by {federated['partition_by']}"
        else:
            strategy += f" fedavg {federated.get('clients')} clients"
            if federated.get("dirichlet_alpha") is not None:
                strategy += f" α={federated['dirichlet_alpha']:g}"
    parts = [
        _model(params.get("pretraining") or {}),
        strategy,
        _data(params.get("source") or {}, params.get("split") or {}),
    ]
    pipelines = [p for p in (pipeline_names or []) if p != "__default__"]
    if pipelines:
        parts.append("+".join(pipelines))
    return SEP.join(parts)
