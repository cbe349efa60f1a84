"""What the fine-tuning node calls with `finetuning.federated.enabled`: partition the labeled
rows over the clients, run the federation (`deployment.py`), and rebuild the final global
model in this process."""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
from safetensors.torch import load_file

from lmforge.classification.finetune import FitOutcome
from lmforge.federated.apps import GLOBAL_WEIGHTS, ROUNDS_FILE
from lmforge.federated.config import FederatedConfig, FederatedConfigError, federated_problems
from lmforge.federated.deployment import run_federation
from lmforge.federated.partition import assign_clients, client_names
from lmforge.federated.weights import FederationSpec, build_model, load_shared
from lmforge.modeling.artifacts import ModelRef
from lmforge.training.loop import TrainResult

log = logging.getLogger(__name__)


def federation_history(rounds: dict[str, list[dict[str, Any]]]) -> list[dict[str, float]]:
    """One row per round (step = round): the global model's validation metrics and the
    clients' row-weighted mean training loss."""
    history = [{"step": int(row["round"]), **row} for row in rounds["global"]]
    by_round: dict[int, list[dict[str, Any]]] = {}
    for row in rounds["clients"]:
        by_round.setdefault(int(row["round"]), []).append(row)
    for row in history:
        clients = by_round.get(row["step"], [])
        total = sum(c["num-examples"] for c in clients)
        if total:
            row["train_loss"] = sum(c["train-loss"] * c["num-examples"] for c in clients) / total
        row.pop("round", None)
    return history


def fit_federated(
    init: ModelRef,
    train: pd.DataFrame,
    validation: pd.DataFrame,
    classes: list[str],
    finetuning: dict[str, Any],
) -> FitOutcome:
    """FedAvg over the clients: the final global model, one history row per round, and what
    the lineage records of the federation."""
    problems = federated_problems(finetuning)
    if problems:
        raise FederatedConfigError("; ".join(problems))
    federated = FederatedConfig.from_dict(finetuning["federated"])
    owners = assign_clients(train, federated)
    names = client_names(train, federated)
    if (federated.min_available_clients or 0) > len(names):
        raise FederatedConfigError(
            f"finetuning.federated.min_available_clients is {federated.min_available_clients} "
            f"but the federation has {len(names)} clients ({names})"
        )
    active = mlflow.active_run()
    spec = FederationSpec(
        base=str(init.path),
        classes=list(classes),
        finetuning=finetuning,
        mlflow_run_id=active.info.run_id if active else None,
        tracking_uri=mlflow.get_tracking_uri() if active else None,
    )
    work = Path(tempfile.mkdtemp(prefix="lmforge-federated-"))
    out_dir = work / "out"
    out_dir.mkdir()
    node_configs = []
    threads = max(1, (_cpu_count() // len(names)))
    for client in range(len(names)):
        path = work / f"client-{client}" / "rows.parquet"
        path.parent.mkdir()
        train.loc[owners == client, ["text", "label"]].to_parquet(path, index=False)
        node_configs.append({"partition-id": client, "data-path": str(path), "threads": threads})
    validation[["text", "label"]].to_parquet(work / "validation.parquet", index=False)
    run_config = {
        "spec": spec.to_json(),
        "validation-path": str(work / "validation.parquet"),
        "out-dir": str(out_dir),
        "clients": len(names),
    }
    counts = [int((owners == c).sum()) for c in range(len(names))]
    log.info("federated fine-tuning: %d clients %s, rows %s", len(names), names, counts)
    started = time.perf_counter()
    run_federation(
        work, run_config, node_configs, federated.address, 60.0 * federated.timeout_minutes
    )
    seconds = time.perf_counter() - started
    rounds = json.loads((out_dir / ROUNDS_FILE).read_text(encoding="utf-8"))
    model, _, max_length = build_model(spec)
    load_shared(model, load_file(str(out_dir / GLOBAL_WEIGHTS)))
    shutil.rmtree(work, ignore_errors=True)  # kept, with its logs, when the federation failed
    history = federation_history(rounds)
    chosen = int(rounds.get("chosen_round", history[-1]["step"]))
    (row,) = [row for row in history if row["step"] == chosen]
    final = {k: v for k, v in row.items() if k.startswith("val_")}
    summary = {
        "rounds": float(federated.rounds),
        "clients": float(len(names)),
        "seconds": seconds,
        "chosen_round": float(chosen),
    }
    result = TrainResult(
        model=model,
        history=history,
        final_metrics=final,
        best_metric=final.get("val_macro_f1"),
        steps=int(sum(row.get("steps", 0) for row in rounds["clients"])),
        resumed_from=None,
        summary=summary,
    )
    federation = {
        "clients": names,
        "client_rows": counts,
        "rounds": federated.rounds,
        "local_epochs": federated.local_epochs,
        "partition_by": federated.partition_by,
        "dirichlet_alpha": federated.dirichlet_alpha,
        "engine": "flower deployment engine (SuperLink + SuperNodes, FedAvg)",
    }
    return FitOutcome(model, result, spec.mlflow_run_id, max_length, federation)


def _cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
