"""The three variants, each made from the teacher classifier's folder: the training ones go
through the shared training loop (`run_training`), so they log curves, checkpoint and resume
like fine-tuning does."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch

from lmforge.classification.finetune import (
    classification_task,
    encode,
    frame_fingerprint,
    label_index,
)
from lmforge.classification.inference import predict_proba
from lmforge.compression.distillation import UNLABELED, DistillationTask, student_from_teacher
from lmforge.compression.int8 import OnnxClassifier, quantize_classifier
from lmforge.compression.pruning import (
    neurons_for_fraction,
    prune_feed_forward,
)
from lmforge.modeling.artifacts import ModelRef
from lmforge.tracking.lineage import path_md5
from lmforge.training.device import resolve_device
from lmforge.training.run import run_training
from lmforge.training.tasks import ClassificationTask, predict_logits, to_device


def _fingerprint(teacher: ModelRef, *frames: pd.DataFrame, **extra: Any) -> dict[str, Any]:
    return {"teacher": path_md5(teacher.path), "data": frame_fingerprint(*frames), **extra}


def load_teacher(teacher: ModelRef) -> torch.nn.Module:
    """The teacher as one plain model (an unmerged LoRA adapter is merged into its base)."""
    model = teacher.load_classifier()
    return model.merge_and_unload() if hasattr(model, "merge_and_unload") else model


def accumulate_taylor_gradients(model: torch.nn.Module, task: ClassificationTask, batches: int):
    """Gradients of the training loss over `batches` batches, for first-order importance."""
    objective = task.objective(model)
    model.zero_grad()
    for step in range(batches):
        batch = task.global_batch(step, 32)
        objective(**to_device(batch, torch.device("cpu"))).backward()


def pruned_variant(
    teacher: ModelRef,
    train: pd.DataFrame,
    validation: pd.DataFrame,
    classes: list[str],
    max_length: int,
    pruning: dict[str, Any],
    checkpoint_root: str | None,
) -> tuple[torch.nn.Module, Any, dict[str, Any]]:
    """Feed-forward neurons pruned to `keep_fraction` of the encoder's parameters, then a short
    recovery fine-tune; returns the model, the training result and a summary."""
    from lmforge.compression.pruning import encoder_parameters

    model = load_teacher(teacher)
    tokenizer = teacher.tokenizer()
    before = encoder_parameters(model)
    neurons = neurons_for_fraction(model, pruning["keep_fraction"])
    seed = pruning["recovery"].get("seed") or 0
    task = classification_task(tokenizer, train, validation, classes, max_length, seed)
    if pruning["score"] == "taylor":
        accumulate_taylor_gradients(model, task, pruning["taylor_batches"])
    prune_feed_forward(model, neurons, pruning["score"])
    model.zero_grad(set_to_none=True)
    fingerprint = _fingerprint(teacher, train, validation, neurons=neurons, score=pruning["score"])
    result, logger = run_training(
        model, task, pruning["recovery"], "pruning", fingerprint, checkpoint_root
    )
    summary = {
        "feed_forward_neurons": neurons,
        "encoder_parameters_before": before,
        "encoder_parameters_after": encoder_parameters(result.model),
        "best_val_macro_f1": result.best_metric,
        "mlflow_run_id": logger.run_id,
    }
    return result.model, result, summary


def teacher_logits(
    teacher: torch.nn.Module, ids: Sequence[Sequence[int]], pad_id: int
) -> np.ndarray:
    device = resolve_device("auto")
    teacher.to(device)
    return predict_logits(teacher, ids, pad_id, device, "auto", 64).numpy()


def distilled_variant(
    teacher_ref: ModelRef,
    train: pd.DataFrame,
    validation: pd.DataFrame,
    unlabeled: Sequence[str],
    classes: list[str],
    max_length: int,
    distillation: dict[str, Any],
    checkpoint_root: str | None,
) -> tuple[torch.nn.Module, Any, dict[str, Any]]:
    """A smaller student trained on the teacher's soft labels over the labeled rows and the
    unlabeled texts, plus the gold labels (`distillation_loss`)."""
    teacher = load_teacher(teacher_ref)
    tokenizer = teacher_ref.tokenizer()
    student_spec = distillation["student"]
    check_student(teacher, student_spec)
    student = student_from_teacher(teacher, student_spec["n_layers"], student_spec["d_ff"])
    texts = list(train["text"]) + list(unlabeled)
    ids = encode(tokenizer, texts, max_length)
    labels = np.concatenate([label_index(train, classes), np.full(len(unlabeled), UNLABELED)])
    soft = teacher_logits(teacher, ids, tokenizer.pad_token_id)
    training = distillation["training"]
    task = DistillationTask(
        ids,
        labels,
        soft,
        encode(tokenizer, validation["text"], max_length),
        label_index(validation, classes),
        tokenizer.pad_token_id,
        len(classes),
        seed=training.get("seed") or 0,
        temperature=distillation["temperature"],
        alpha=distillation["alpha"],
    )
    fingerprint = _fingerprint(
        teacher_ref,
        train,
        validation,
        unlabeled=len(unlabeled),
        student=student_spec,
        temperature=distillation["temperature"],
        alpha=distillation["alpha"],
    )
    result, logger = run_training(
        student, task, training, "distillation", fingerprint, checkpoint_root
    )
    summary = {
        "student_layers": student_spec["n_layers"],
        "student_d_ff": student.config.to_dict().get("n_inner")
        or student.config.to_dict().get("intermediate_size"),
        "labeled_rows": len(train),
        "unlabeled_rows": len(unlabeled),
        "best_val_macro_f1": result.best_metric,
        "mlflow_run_id": logger.run_id,
    }
    return result.model, result, summary


def _shape(model: torch.nn.Module) -> tuple[int, int]:
    config = model.config
    if config.model_type == "gpt2":
        return config.n_layer, config.n_inner or 4 * config.n_embd
    return config.num_hidden_layers, config.intermediate_size


def check_student(teacher: torch.nn.Module, student: dict[str, Any]) -> None:
    """A student must be smaller than its teacher (fewer layers or a narrower feed-forward,
    neither larger)."""
    from lmforge.parameters.compression import student_problems

    problems = student_problems(student, *_shape(teacher))
    if problems:
        raise ValueError(problems[0])


def int8_variant(teacher: ModelRef) -> OnnxClassifier:
    """The teacher, exported to ONNX with int8 weights (dynamic activation quantization)."""
    return quantize_classifier(load_teacher(teacher))


def agreement(a: Any, b: Any, tokenizer: Any, texts: Sequence[str], max_length: int) -> float:
    """Share of `texts` on which two classifiers predict the same class."""
    pa = predict_proba(a, tokenizer, texts, max_length, 64, "cpu").argmax(1)
    pb = predict_proba(b, tokenizer, texts, max_length, 64, "cpu").argmax(1)
    return float((pa == pb).mean()) if len(texts) else 1.0
