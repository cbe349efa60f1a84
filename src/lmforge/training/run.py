"""Glue between the training nodes and the one loop: a training run with its checkpoint folder
and its MLflow curves (`run_training`), and the curves as a table (`history_frame`)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd

from lmforge.tracking.mlflow_logging import StepLogger
from lmforge.training.loop import TrainConfig, TrainResult, train
from lmforge.training.privacy import PrivacyConfig

# Training keys that do not change the result; they stay out of the checkpoint key.
_NOT_SEMANTIC = {
    "progress_bar",
    "log_every",
    "keep_checkpoints",
    "keep_checkpoints_on_success",
    "device",
    "compile",
}


def config_key(parts: dict[str, Any]) -> str:
    """A short, stable hash of everything that defines a training run (its checkpoint folder)."""
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def run_training(
    model: Any,
    task: Any,
    training: dict[str, Any],
    stage: str,
    fingerprint: dict[str, Any],
    checkpoint_dir: str | None,
    privacy: PrivacyConfig | None = None,
) -> tuple[TrainResult, StepLogger]:
    """Train with the stage's `training` parameters; curves go to MLflow as `<stage>.<name>`.

    The checkpoint folder is `<checkpoint_dir>/<stage>/<key>`, the key hashing `fingerprint`
    (data, model, initialization) and the training parameters, so a rerun of the same
    configuration resumes and any change starts afresh.
    """
    config = TrainConfig.from_dict(training)
    semantic = {k: v for k, v in config.to_dict().items() if k not in _NOT_SEMANTIC}
    parts: dict[str, Any] = {"fingerprint": fingerprint, "training": semantic}
    if privacy is not None and privacy.enabled:
        parts["privacy"] = asdict(privacy)
    key = config_key(parts)
    root = Path(checkpoint_dir) / stage / key if checkpoint_dir else None
    logger = StepLogger(f"{stage}.")
    # The checkpoints stay until the node's outputs are saved (CheckpointCleanupHook).
    result = train(
        model, task, config, root, callbacks=[logger], clear_on_success=False, privacy=privacy
    )
    logger.flush()  # what the store still refuses is reported after the models are saved
    return result, logger


def warm_up_new_weights(
    model: Any,
    task: Any,
    training: dict[str, Any],
    new_weights: set[str],
    head_warmup: dict[str, Any],
    stage: str,
    fingerprint: dict[str, Any],
    checkpoint_dir: str | None,
) -> None:
    """Train only the parameters named in `new_weights` (a freshly initialized head) for
    `head_warmup["steps"]` at a constant `head_warmup["lr"]` (None: `training`'s), then make
    every parameter trainable again: a random head's first, large gradients never reach the
    pretrained weights. Curves and checkpoints go under `<stage>_head`."""
    steps = int(head_warmup.get("steps") or 0)
    if not steps or not new_weights:
        return
    warm = {
        **training,
        "max_steps": steps,
        "epochs": None,
        "budget_minutes": None,
        "lr": head_warmup.get("lr") or training.get("lr"),
        "layer_lr_decay": 1.0,
        "warmup_ratio": 0.0,
        "eval_every": steps,
        "early_stopping_patience": None,
    }
    for name, parameter in model.named_parameters():
        parameter.requires_grad_(name in new_weights)
    run_training(model, task, warm, f"{stage}_head", fingerprint, checkpoint_dir)
    model.requires_grad_(True)


def history_frame(history: list[dict[str, float]]) -> pd.DataFrame:
    """One row per step (training and evaluation rows merged), for DVC plots."""
    if not history:
        return pd.DataFrame({"step": pd.Series(dtype="int64")})
    frame = pd.DataFrame(history).groupby("step", as_index=False).first()
    return frame.sort_values("step").reset_index(drop=True)
