"""Task distillation: a smaller student learns the teacher's softened class probabilities on
the labeled rows and on unlabeled text, plus the gold labels where there are any.

Loss per row: α·T²·KL(softmax(teacher/T) ‖ softmax(student/T)) + (1 − α)·CE(student, label),
the CE term only on labeled rows (Hinton et al., 2015; DistilBERT's task-distillation loss).
The task plugs into the one training loop (`training/loop.py`) like any other task.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from transformers import AutoModelForSequenceClassification

from lmforge.training.tasks import ClassificationTask

UNLABELED = -1
_LAYER_KEY = re.compile(r"\.(h|layer)\.(\d+)\.")


def distillation_loss(
    student_logits: torch.Tensor,
    teacher_logits: torch.Tensor,
    labels: torch.Tensor,
    temperature: float,
    alpha: float,
) -> torch.Tensor:
    """The *sum* over rows of α·T²·KL + (1 − α)·CE; rows labeled `UNLABELED` add no CE."""
    student_log = F.log_softmax(student_logits.float() / temperature, dim=-1)
    teacher_prob = F.softmax(teacher_logits.float() / temperature, dim=-1)
    kl = F.kl_div(student_log, teacher_prob, reduction="none").sum(-1)
    labeled = labels != UNLABELED
    ce = torch.zeros_like(kl)
    if labeled.any():
        ce[labeled] = F.cross_entropy(
            student_logits[labeled].float(), labels[labeled], reduction="none"
        )
    return (alpha * temperature**2 * kl + (1.0 - alpha) * ce).sum()


class DistillationObjective(nn.Module):
    def __init__(self, model: nn.Module, temperature: float, alpha: float) -> None:
        super().__init__()
        self.model, self.temperature, self.alpha = model, temperature, alpha

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        labels: torch.Tensor,
        teacher_logits: torch.Tensor,
    ) -> torch.Tensor:
        logits = self.model(input_ids=input_ids, attention_mask=attention_mask).logits
        return distillation_loss(logits, teacher_logits, labels, self.temperature, self.alpha)


class DistillationTask(ClassificationTask):
    """Classification batches (labeled and unlabeled rows shuffled together) that also carry
    the teacher's logits; validation and early stopping as for fine-tuning."""

    def __init__(
        self,
        train_ids: Sequence[Sequence[int]],
        train_labels: Sequence[int],
        teacher_logits: np.ndarray,
        val_ids: Sequence[Sequence[int]],
        val_labels: Sequence[int],
        pad_id: int,
        n_classes: int,
        seed: int,
        temperature: float,
        alpha: float,
    ) -> None:
        super().__init__(train_ids, train_labels, val_ids, val_labels, pad_id, n_classes, seed)
        if len(teacher_logits) != len(self.train_ids):
            raise ValueError("one row of teacher logits per training text is needed")
        self.teacher_logits = torch.as_tensor(np.asarray(teacher_logits), dtype=torch.float32)
        self.temperature, self.alpha = temperature, alpha

    def objective(self, model: nn.Module) -> nn.Module:
        return DistillationObjective(model, self.temperature, self.alpha)

    def global_batch(self, step: int, batch_size: int) -> dict[str, torch.Tensor]:
        batch = super().global_batch(step, batch_size)
        return {**batch, "teacher_logits": self.teacher_logits[self.batch_rows(step, batch_size)]}


def student_from_teacher(teacher: nn.Module, n_layers: int, d_ff: int | None) -> nn.Module:
    """A student of the teacher's family and width with `n_layers` layers, initialised from
    the teacher (embeddings, head and evenly spaced layers, as DistilBERT takes every other
    one); `d_ff` narrower than the teacher's keeps each copied layer's most important
    feed-forward neurons (`pruning.prune_feed_forward`)."""
    from lmforge.compression.pruning import prune_feed_forward

    config = teacher.config.__class__.from_dict(teacher.config.to_dict())
    teacher_layers = config.n_layer if config.model_type == "gpt2" else config.num_hidden_layers
    if config.model_type == "gpt2":
        config.n_layer = n_layers
    else:
        config.num_hidden_layers = n_layers
    picks = np.linspace(0, teacher_layers - 1, num=n_layers).round().astype(int).tolist()
    student = AutoModelForSequenceClassification.from_config(config)
    state = teacher.state_dict()
    mapped = {}
    for key in student.state_dict():
        source = _LAYER_KEY.sub(lambda m: f".{m.group(1)}.{picks[int(m.group(2))]}.", key)
        mapped[key] = state[source]
    student.load_state_dict(mapped)
    if d_ff is not None:
        prune_feed_forward(student, d_ff)
    return student
